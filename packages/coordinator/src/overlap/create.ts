import {
  OVERLAP_MAX_NODES,
  ProtocolError,
  epsilonToMicro,
  evaluateRound,
  overlapPairs,
  pureSpend,
  type OverlapJobSpec,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { jobParticipants } from '../jobs/participants.ts';
import { newJobId } from '../jobs/create.ts';

/**
 * Job preflight for an overlap job (docs/federation-protocol.md "Job preflight"): each node pays
 * epsilon once per pair it is in, so (n - 1) x epsilon, judged on its latest signed policy
 * summary by the same evaluateRound the node runs.
 */
function preflightOverlap(ctx: Ctx, spec: OverlapJobSpec, participants: readonly string[]): void {
  const perNode = epsilonToMicro(spec.overlap.epsilon) * (participants.length - 1);
  const refusals: string[] = [];
  for (const node of participants) {
    const summary = ctx.store.nodes.policySummary(node);
    if (!summary) continue;
    const d = evaluateRound(summary.terms, {
      kind: 'overlap',
      purpose: spec.overlap.purpose,
      spend: pureSpend(perNode),
      mechanism: 'distributed-laplace',
      noise: spec.noise,
    });
    if (!d.ok) refusals.push(`${node}: ${d.reason}`);
  }
  if (refusals.length > 0)
    throw new ProtocolError(
      'POLICY_REFUSED',
      `${refusals.length === 1 ? 'a participant' : `${refusals.length} participants`} would refuse this job by their signed policy (${refusals.join('; ')}); leave ${refusals.length === 1 ? 'it' : 'them'} out with "nodes", or change the job`
    );
}

/** Creates an overlap job on the active key epoch: one pending row per pair of participants. */
export function createOverlapJob(ctx: Ctx, spec: OverlapJobSpec): { jobId: string } {
  const { epoch, participants } = jobParticipants(ctx, spec);
  if (participants.length > OVERLAP_MAX_NODES)
    throw new ProtocolError(
      'BAD_REQUEST',
      `an overlap job takes at most ${OVERLAP_MAX_NODES} nodes (${participants.length} given): name them with "nodes"`
    );
  preflightOverlap(ctx, spec, participants);
  const jobId = newJobId();
  const now = ctx.now();
  ctx.store.transaction(() =>
    ctx.store.overlaps.insertJob(
      {
        id: jobId,
        name: spec.name,
        spec,
        keyId: epoch.keyId,
        participants,
        status: 'running',
        createdAt: new Date(now).toISOString(),
        deadlineAt: now + spec.deadlineMs,
        failure: null,
      },
      overlapPairs(participants).map((p) => ({ jobId, ...p }))
    )
  );
  ctx.log(
    `job ${jobId} (overlap) created on ${epoch.keyId} with ${participants.length} participants`
  );
  return { jobId };
}
