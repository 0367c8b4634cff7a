import type { ContributionRef, Task } from '@fedmark/protocol';
import { roundSpecOf, signedSet, signedSpec } from '../jobs/round-binding.ts';
import type { Ctx } from '../context.ts';
import { keyTasksFor } from '../keys/ceremony.ts';
import { setsOf } from '../jobs/secagg.ts';
import { thresholdOf } from '../jobs/threshold.ts';
import { roundParticipants } from '../jobs/exclusions.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import { overlapTasksFor } from '../overlap/tasks.ts';

/** A survivor's unmask task, until it answered: the signed sets and the boxes addressed to it. */
function unmaskTask(ctx: Ctx, job: JobRecord, r: RoundRecord, node: string, tasks: Task[]): void {
  if (r.secagg?.correction || !r.secagg?.setsSignature) return;
  if (ctx.store.jobs.getSecaggUnmask(r.jobId, r.round, node)) return;
  const sets = setsOf(job, r);
  const named = new Set([...sets.survivors, ...sets.dropped]);
  tasks.push({
    type: 'secagg_unmask',
    jobId: r.jobId,
    round: r.round,
    keyId: job.keyId,
    specHash: sets.specHash,
    survivors: [...sets.survivors],
    dropped: [...sets.dropped],
    setsSignature: r.secagg.setsSignature,
    shares: ctx.store.jobs
      .secaggSetups(r.jobId, r.round)
      .filter((s) => named.has(s.node) && s.shares[node] !== undefined)
      .map((s) => ({ owner: s.node, box: s.shares[node] as string })),
  });
}

/**
 * Tasks for one node, derived from state on every poll (docs/federation-protocol.md "Polling"):
 * a task stays listed until the node answered it, so a node that crashed simply gets it again.
 */
export function tasksFor(ctx: Ctx, node: string): Task[] {
  const tasks: Task[] = [...keyTasksFor(ctx, node)];
  const now = ctx.now();
  for (const r of ctx.store.jobs.activeRounds()) {
    const job = ctx.store.jobs.getJob(r.jobId);
    if (!job || job.status !== 'running' || !job.participants.includes(node)) continue;
    const epoch = ctx.store.keys.get(job.keyId);
    if (!epoch) continue;
    const spec = roundSpecOf(job, r);
    if (r.status === 'setup' && now < r.deadlineAt) {
      if (ctx.store.jobs.secaggSenders(r.jobId, r.round, 'setup').includes(node)) continue;
      // A node that refused an earlier round of the job sits out the rest (jobs/exclusions.ts).
      const participants = roundParticipants(ctx.store.jobs, job, r.round);
      if (!participants.includes(node)) continue;
      tasks.push({
        type: 'secagg_setup',
        jobId: r.jobId,
        round: r.round,
        keyId: job.keyId,
        participants: [...participants].sort(),
        threshold: thresholdOf(job),
        ...signedSpec(ctx, r.jobId, r.round, spec),
      });
    } else if (r.status === 'open' && now < r.deadlineAt) {
      const adverts = r.secagg?.adverts ?? [];
      // Masked input only from the nodes whose setups the round closed with.
      if (!adverts.some((a) => a.node === node)) continue;
      if (
        ctx.store.jobs.getSubmission(r.jobId, r.round, node) ||
        ctx.store.jobs.getRefusal(r.jobId, r.round, node)
      )
        continue;
      tasks.push({
        type: 'job_round',
        jobId: r.jobId,
        round: r.round,
        keyId: job.keyId,
        members: epoch.members,
        spec,
        ...signedSpec(ctx, r.jobId, r.round, spec),
        secagg: { adverts },
      });
    } else if (r.status === 'decrypting' && r.secagg?.survivors?.includes(node)) {
      unmaskTask(ctx, job, r, node, tasks);
    }
    if (r.status === 'decrypting' && r.decryptors?.includes(node) && r.aggregate) {
      if (ctx.store.jobs.decryptions(r.jobId, r.round).some((d) => d.node === node)) continue;
      const contributions: ContributionRef[] = ctx.store.jobs
        .submissions(r.jobId, r.round)
        .filter((s) => r.contributors?.includes(s.node))
        .map((s) => ({
          jobId: s.jobId,
          round: s.round,
          node: s.node,
          keyId: s.keyId,
          layoutHash: s.layoutHash,
          specHash: s.specHash,
          ciphertextHashes: s.ciphertextHashes,
          enforced: s.enforced,
          signature: s.signature,
        }));
      tasks.push({
        type: 'decrypt',
        jobId: r.jobId,
        round: r.round,
        keyId: job.keyId,
        layoutHash: r.layoutHash,
        aggregate: r.aggregate,
        contributions,
        minNodes: job.spec.minNodes,
        ...signedSet(ctx, r.jobId, r.round, contributions),
      });
    }
  }
  tasks.push(...overlapTasksFor(ctx, node));
  return tasks;
}
