import {
  OVERLAP_SPEC_DOMAIN,
  overlapSpecHash,
  overlapSpecSigningPayload,
  signCanonical,
  type OverlapTask,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import type { OverlapJobRecord } from '../store/index.ts';
import { pairStage } from './pair-steps.ts';
import { settleOverlapJob } from './settle.ts';

/** The spec hash every overlap message names, signed by the coordinator for this job. */
export function signedOverlapSpec(
  ctx: Ctx,
  job: OverlapJobRecord
): { specHash: string; specSignature: string } {
  const specHash = overlapSpecHash(job.spec);
  const specSignature = signCanonical(
    OVERLAP_SPEC_DOMAIN,
    overlapSpecSigningPayload({ jobId: job.id, specHash }),
    ctx.coordinatorKey.secretKey
  );
  return { specHash, specSignature };
}

/**
 * A node's overlap tasks, derived from state on every poll like the round tasks
 * (docs/federation-protocol.md "Polling"): for each running job, each pair whose next step is
 * this node's, with the peer's message that step answers.
 */
export function overlapTasksFor(ctx: Ctx, node: string): OverlapTask[] {
  const tasks: OverlapTask[] = [];
  for (const found of ctx.store.overlaps.runningJobs()) {
    if (!found.participants.includes(node)) continue;
    const job = settleOverlapJob(ctx, found);
    if (job.status !== 'running') continue;
    const signed = signedOverlapSpec(ctx, job);
    for (const p of ctx.store.overlaps.pairs(job.id)) {
      const next = pairStage(p);
      if (!('node' in next) || next.node !== node) continue;
      const message = next.stage === 'reply' ? p.request : next.stage === 'count' ? p.reply : null;
      tasks.push({
        type: 'overlap',
        jobId: job.id,
        keyId: job.keyId,
        pair: p.pair,
        step: next.stage,
        initiator: p.initiator,
        responder: p.responder,
        spec: job.spec,
        ...signed,
        ...(message ? { message } : {}),
      });
    }
  }
  return tasks;
}
