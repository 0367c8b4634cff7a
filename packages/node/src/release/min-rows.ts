import { ProtocolError, type Policy, type Purpose } from '@fedmark/protocol';
import type { BudgetRefusalCause } from '../privacy/budget.ts';

export interface MinRowsRound {
  kind: keyof Policy['minRowsPerJob'];
  purpose: Purpose;
  /** This node's name: the coordinator shows the reason beside other nodes' reasons. */
  node: string;
  /** Rows the round's computation read: customers with consent for `purpose` in force. */
  rows: number;
}

/**
 * The policy's `minRowsPerJob` for a federated round (docs/models.md §9 "Too few rows"): the
 * refusal when this node holds fewer eligible rows than its minimum for the job kind, or null.
 * The error's message carries the count, for the node's own ledger, log and admin; the reason
 * sent to the coordinator (`publicReasonOf`) names only the rule and the minimum, because the
 * node's exact row count is never sent un-noised (docs/federation-protocol.md "Jobs and
 * rounds": the record count lives inside the ciphertext).
 */
export function minRowsRefusal(policy: Policy, r: MinRowsRound): ProtocolError | null {
  const min = policy.minRowsPerJob[r.kind];
  if (min === 0 || r.rows >= min) return null;
  const rule = `minRowsPerJob.${r.kind} ${min}`;
  const cause: BudgetRefusalCause = {
    publicReason: `node ${r.node} holds fewer eligible rows than its ${rule}`,
  };
  return new ProtocolError(
    'POLICY_REFUSED',
    `node ${r.node}: ${r.rows} eligible rows < ${rule} (customers with ${r.purpose} consent in force)`,
    cause
  );
}
