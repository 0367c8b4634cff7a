import type { Ctx } from '../context.ts';
import type { OverlapJobRecord } from '../store/index.ts';
import { pairDone } from './pair-steps.ts';

/**
 * Ends a running overlap job once every pair is published or refused (published if any pair
 * was), or at its deadline, when the unfinished pairs are reported failed. Returns the job as
 * it now stands.
 */
export function settleOverlapJob(ctx: Ctx, job: OverlapJobRecord): OverlapJobRecord {
  if (job.status !== 'running') return job;
  const pairs = ctx.store.overlaps.pairs(job.id);
  const published = pairs.some((p) => p.release !== null);
  const allDone = pairs.every(pairDone);
  const late = ctx.now() >= job.deadlineAt;
  if (!allDone && !late) return job;
  const next: Pick<OverlapJobRecord, 'status' | 'failure'> = published
    ? { status: 'published', failure: null }
    : {
        status: 'failed',
        failure: {
          code: allDone ? 'QUORUM_NOT_MET' : 'DEADLINE_PASSED',
          message: allDone
            ? 'every pair was refused: see each pair for its reason'
            : 'the deadline passed before any pair was published',
        },
      };
  ctx.store.overlaps.updateJob(job.id, next);
  ctx.log(`job ${job.id} (overlap) ${next.status}`);
  return { ...job, ...next };
}
