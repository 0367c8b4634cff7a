/**
 * The node's own policy (`<dir>/policy.json`, schema in @fedmark/protocol PolicySchema): what it
 * will answer, its minimum cohort, budgets and per-job epsilon cap. Every change is a ledger
 * entry; every round is evaluated against it before any budget or data is touched.
 *
 * @example
 * import { loadPolicy, savePolicy, evaluateRound } from './policy/index.ts';
 * const policy = loadPolicy('/srv/node-a');
 * evaluateRound(policy, { kind: 'segment_stats', purpose: 'analytics', epsilonMicro: 500_000, minNodes: 3, noise: 'on' });
 * // { ok: true }
 * savePolicy('/srv/node-a', db, { ...policy, minCohort: 20 }, { reason: 'DPO request 2026-11' });
 * // policy_change ledger entry: changed [{ field: 'minCohort', from: 10, to: 20 }]
 */
export {
  loadPolicy,
  savePolicy,
  parsePolicy,
  defaultPolicy,
  policyHash,
  type PolicyChange,
  type SavePolicyResult,
} from './policy-file.ts';
/** Pure policy decision for one round: allowed kind and purpose, epsilon cap, minNodes, noise switch. */
export {
  evaluateRound,
  type RoundRequest,
  type RoundDecision,
  type NoiseMode,
} from './evaluate.ts';
