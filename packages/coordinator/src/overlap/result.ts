import {
  ProtocolError,
  overlapNoiseBound,
  overlapNoiseDelta,
  overlapNoiseHalfWidth,
  overlapNoiseVariance,
  epsilonToMicro,
  type JobResult,
  type JobStatus,
  type OverlapFigure,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import type { OverlapJobRecord, OverlapPairRecord } from '../store/index.ts';
import { pairStage } from './pair-steps.ts';
import { settleOverlapJob } from './settle.ts';

/** The overlap job with this id, settled (deadline applied), or undefined when it is not one. */
export function findOverlapJob(ctx: Ctx, jobId: string): OverlapJobRecord | undefined {
  const job = ctx.store.overlaps.getJob(jobId);
  return job ? settleOverlapJob(ctx, job) : undefined;
}

function figureOf(job: OverlapJobRecord, p: OverlapPairRecord): OverlapFigure {
  const epsilon = job.spec.overlap.epsilon;
  const base = { nodes: [p.initiator, p.responder] as [string, string], epsilon };
  const noiseOn = job.spec.noise === 'on';
  const micro = epsilonToMicro(epsilon);
  const bound = noiseOn ? overlapNoiseBound(micro) : 0;
  const delta = noiseOn ? overlapNoiseDelta(micro, bound) : 0;
  const empty = { estimate: null, raw: null, noiseStd: null, ci95: null, delta };
  if (p.release) {
    const raw = p.release.raw;
    const half = noiseOn ? overlapNoiseHalfWidth(micro, bound) : 0;
    return {
      ...base,
      status: 'published',
      // A count cannot be negative: clamping is post-processing of the released value.
      estimate: Math.max(0, raw),
      raw,
      noiseStd: noiseOn ? Math.sqrt(overlapNoiseVariance(micro, bound)) : 0,
      ci95: [Math.max(0, raw - half), Math.max(0, raw + half)],
      delta,
      reason: null,
    };
  }
  if (p.refusal)
    return {
      ...base,
      ...empty,
      status: 'failed',
      reason: `${p.refusal.node}: ${p.refusal.reason}`,
    };
  const next = pairStage(p);
  if (job.status === 'running') return { ...base, ...empty, status: 'pending', reason: null };
  const waiting = 'node' in next ? ` (waiting for the ${next.stage} of ${next.node})` : '';
  return {
    ...base,
    ...empty,
    status: 'failed',
    reason: `the job ended before this pair finished${waiting}`,
  };
}

/** What the result and the status of an overlap job both open with. */
function header(job: OverlapJobRecord) {
  return {
    version: 1 as const,
    jobId: job.id,
    name: job.name,
    kind: 'overlap' as const,
    status: job.status,
  };
}

export function overlapResult(ctx: Ctx, job: OverlapJobRecord): JobResult {
  return {
    ...header(job),
    rounds: [],
    overlap: {
      matchingKey: job.spec.overlap.matchingKey,
      purpose: job.spec.overlap.purpose,
      pairs: ctx.store.overlaps.pairs(job.id).map((p) => figureOf(job, p)),
    },
    ...(job.failure ? { failure: job.failure } : {}),
  };
}

const STATE = { published: 'published', failed: 'failed' } as const;

/** Progress of an overlap job, each pair shown as a "round" with its two nodes. */
export function overlapStatus(ctx: Ctx, job: OverlapJobRecord): JobStatus {
  return {
    ...header(job),
    createdAt: job.createdAt,
    keyId: job.keyId,
    minNodes: job.spec.minNodes,
    participants: job.participants,
    rounds: ctx.store.overlaps.pairs(job.id).map((p) => {
      const next = pairStage(p);
      const done = next.stage === 'published' || next.stage === 'failed';
      const stateOf = (name: string): JobStatus['rounds'][number]['nodes'][number] => {
        if (p.refusal?.node === name) return { name, state: 'refused', reason: p.refusal.reason };
        const waited = 'node' in next && next.node === name;
        return {
          name,
          state: waited || (!done && !p.request) ? 'pending' : 'submitted',
          reason: null,
        };
      };
      return {
        round: p.pair,
        status: done
          ? STATE[next.stage as 'published' | 'failed']
          : job.status === 'running'
            ? 'open'
            : 'failed',
        deadline: new Date(job.deadlineAt).toISOString(),
        closeReason:
          done || job.status === 'running' ? null : 'the job ended before this pair finished',
        nodes: [stateOf(p.initiator), stateOf(p.responder)],
        decryptions: [],
      };
    }),
    ...(job.failure ? { failure: job.failure } : {}),
  };
}

/** `POST /v1/jobs/:id/cancel` for an overlap job: unfinished pairs fail, figures already published stay. */
export function cancelOverlapJob(ctx: Ctx, job: OverlapJobRecord, reason: string): void {
  if (job.status !== 'running')
    throw new ProtocolError('CONFLICT', `job ${job.id} is already ${job.status}`);
  ctx.store.overlaps.updateJob(job.id, {
    status: 'failed',
    failure: { code: 'CANCELLED', message: reason },
  });
  ctx.log(`job ${job.id} cancelled`);
}
