import type { Exclusion } from '@fedmark/protocol';
import type { JobStore, RefusalRecord } from '../store/index.ts';

/**
 * The participants a job went on without because they refused a round (their policy or budget
 * said no: e.g. too few eligible rows, docs/models.md §9 "Too few rows"), each with the reason
 * it signed and the rounds, in participant order. A node refusing every round of a train job
 * for the same reason is one entry.
 */
export function exclusionsOf(
  jobs: Pick<JobStore, 'rounds' | 'refusals'>,
  job: { id: string; participants: readonly string[] }
): Exclusion[] {
  const byKey = new Map<string, Exclusion>();
  for (const r of jobs.rounds(job.id)) {
    for (const ref of jobs.refusals(job.id, r.round)) {
      const key = JSON.stringify([ref.node, ref.reason]);
      const entry = byKey.get(key) ?? { node: ref.node, rounds: [], reason: ref.reason };
      entry.rounds.push(r.round);
      byKey.set(key, entry);
    }
  }
  const order = (n: string) => job.participants.indexOf(n);
  return [...byKey.values()].sort(
    (a, b) => order(a.node) - order(b.node) || (a.rounds[0] ?? 0) - (b.rounds[0] ?? 0)
  );
}

/**
 * Who is asked to set up round `round`: the job's participants less every node that refused one
 * of its earlier rounds. A refusal is the node's answer for the rest of the job (a node short of
 * rows or budget in round 0 is short in round 1 too), and a node that would set up only to
 * refuse again could be one of exactly the threshold of setups a phase closes with, which then
 * fails for want of survivors (docs/secure-aggregation.md "Dropout guarantee"). The threshold
 * stays the job's (thresholdOf): never below a majority of the smaller set.
 */
export function roundParticipants(
  jobs: Pick<JobStore, 'refusals'>,
  job: { id: string; participants: readonly string[] },
  round: number
): string[] {
  const refused = new Set<string>();
  for (let r = 0; r < round; r++) for (const ref of jobs.refusals(job.id, r)) refused.add(ref.node);
  return job.participants.filter((n) => !refused.has(n));
}

/**
 * A round failure's message with the nodes that refused it and why, so a job that exclusions
 * leave below its quorum says who was left out instead of a bare count
 * (docs/federation-protocol.md "Closing").
 */
export function namingRefusals(message: string, refusals: readonly RefusalRecord[]): string {
  if (refusals.length === 0) return message;
  const named = [...refusals]
    .sort((a, b) => a.node.localeCompare(b.node))
    .map((r) => `${r.node} (${r.reason})`);
  return `${message}; refused: ${named.join(', ')}`;
}
