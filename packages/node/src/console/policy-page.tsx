import type { LedgerEntry, Policy } from '@fedmark/protocol';
import { Badge, Empty, Facts } from '@fedmark/protocol/console';
import { listLedger } from '../ledger/index.ts';
import { loadPolicy, policyHash } from '../policy/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { bodySummary, EntryCells, EntryHeads, formatEpsilon, ShortHex } from './_format.tsx';

/** Policy changes listed under the policy (newest first). */
export const POLICY_CHANGES_SHOWN = 20;

export interface PolicyModel {
  policy: Policy;
  hash: string;
  changes: LedgerEntry[];
  changesTotal: number;
}

/** The policy in force (policy.json, validated), its hash and the ledger's policy_change entries. */
export function loadPolicyPage(ctx: NodeConsoleContext): PolicyModel {
  const policy = loadPolicy(ctx.dir);
  const changes = listLedger(ctx.db, { type: 'policy_change' });
  return {
    policy,
    hash: policyHash(policy),
    changes: changes.slice(-POLICY_CHANGES_SHOWN).reverse(),
    changesTotal: changes.length,
  };
}

export function PolicyView(p: { model: PolicyModel; base: string }) {
  const { policy } = p.model;
  return (
    <>
      <Facts
        items={[
          ['Policy hash', <ShortHex value={p.model.hash} testId="policy-hash" />],
          ['Purposes answered', policy.allowedPurposes.join(', ')],
          ['Job kinds answered', policy.allowedKinds.join(', ')],
          [
            'Minimum cohort (k)',
            <span data-testid="policy-k">{`${policy.minCohort}: after noise, every cell whose noisy count is under ${policy.minCohort} is released as 0 (suppression reads only the noisy release, so it costs no privacy; docs/privacy.md)`}</span>,
          ],
          ['Largest epsilon per job', formatEpsilon(policy.maxEpsilonPerJob)],
          ['Fewest contributing nodes per job', String(policy.minNodes)],
          [
            'Fewest eligible rows per job',
            `train ${policy.minRowsPerJob.train}, statistics ${policy.minRowsPerJob.segment_stats} (0: no minimum): below it this node refuses the round (docs/models.md §9)`,
          ],
          [
            'Noise',
            policy.testOnlyAllowNoiseOff ? (
              <Badge tone="bad">
                TEST ONLY: callers may switch noise off (never in production)
              </Badge>
            ) : (
              <span>
                always on: discrete Laplace per released value, scale from each job's epsilon and
                the value's sensitivity
              </span>
            ),
          ],
        ]}
      />
      <h2>Privacy budgets</h2>
      {policy.budgets.length === 0 ? (
        <Empty>No budget rules: every purpose is refused a release.</Empty>
      ) : (
        <table data-testid="policy-budgets">
          <thead>
            <tr>
              <th scope="col">Purpose</th>
              <th scope="col">Period (UTC calendar)</th>
              <th class="num" scope="col">
                Epsilon cap
              </th>
            </tr>
          </thead>
          <tbody>
            {policy.budgets.map((b) => (
              <tr>
                <td>{b.purpose}</td>
                <td>{b.period}</td>
                <td class="num">{formatEpsilon(b.epsilon)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Policy changes</h2>
      {p.model.changes.length === 0 ? (
        <Empty>No policy change is recorded in the ledger.</Empty>
      ) : (
        <>
          {p.model.changesTotal > p.model.changes.length ? (
            <p class="muted">{`The newest ${p.model.changes.length} of ${p.model.changesTotal}.`}</p>
          ) : null}
          <table>
            <thead>
              <tr>
                <EntryHeads />
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {p.model.changes.map((e) => {
                const s = bodySummary(e.body);
                return (
                  <tr>
                    <EntryCells base={p.base} seq={e.seq} at={e.at} />
                    <td title={s.full}>{s.short}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      <p class="muted">
        Change the policy with <code>fedmark node policy set</code>; every change is a ledger entry.
      </p>
    </>
  );
}
