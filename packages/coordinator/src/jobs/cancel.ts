import { ProtocolError } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { recordEvent } from './events.ts';
import { cancelOverlapJob, findOverlapJob } from '../overlap/result.ts';

/**
 * `POST /v1/jobs/:id/cancel`: the operator stops a running job (docs/coordinator.md "Jobs"). In
 * one transaction every unfinished round fails and the job fails with code CANCELLED; nodes get
 * no more tasks for it, and a late answer meets a closed round. What was published stays
 * published, and what nodes released stays charged to their budgets: a release cannot be
 * taken back.
 */
export function cancelJob(ctx: Ctx, jobId: string, reason = 'cancelled by the operator'): void {
  const overlap = findOverlapJob(ctx, jobId);
  if (overlap) {
    cancelOverlapJob(ctx, overlap, reason);
    return;
  }
  ctx.store.transaction(() => {
    const job = ctx.store.jobs.getJob(jobId);
    if (!job) throw new ProtocolError('NOT_FOUND', `no job ${jobId}`);
    if (job.status !== 'running')
      throw new ProtocolError('CONFLICT', `job ${jobId} is already ${job.status}`);
    for (const r of ctx.store.jobs.rounds(jobId)) {
      if (r.status === 'published' || r.status === 'failed') continue;
      ctx.store.jobs.updateRound(jobId, r.round, {
        status: 'failed',
        closedAt: ctx.now(),
        closeReason: reason,
      });
      recordEvent(ctx, jobId, 'round_closed', {
        round: r.round,
        detail: { outcome: 'failed', reason },
      });
    }
    ctx.store.jobs.updateJob(jobId, {
      status: 'failed',
      failure: { code: 'CANCELLED', message: reason },
    });
    recordEvent(ctx, jobId, 'job_failed', { detail: { code: 'CANCELLED', message: reason } });
  });
  ctx.log(`job ${jobId} cancelled`);
}
