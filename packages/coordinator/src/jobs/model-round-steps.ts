import {
  epsilonToMicro,
  isProtocolError,
  type ResultCell,
  type RoundNoise,
  type RoundResult,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import { recordEvent } from './events.ts';
import { noiseNote } from '../results/noise.ts';
import { resultNoiseFields } from '../results/publish.ts';

/**
 * What train and clv publications share (train-publication.ts, clv-publication.ts): each
 * published round of a model job is followed by a step on the coordinator, which can fail the
 * job, and either the next round or the job's publication.
 */

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Fails the job with `code`, recorded as a job event and logged (no message text in the log). */
export function failModelJob(
  ctx: Ctx,
  job: JobRecord,
  round: number,
  code: string,
  message: string
): void {
  ctx.store.jobs.updateJob(job.id, { status: 'failed', failure: { code, message } });
  recordEvent(ctx, job.id, 'job_failed', { round, detail: { code, message } });
  ctx.log(`job ${job.id} failed in round ${round}: ${code}`, 'warn');
}

/**
 * A step after round `round` threw: the round fails with `<what> failed: <message>` and the job
 * with the error's protocol code, or `fallbackCode` for any other error.
 */
export function failModelStep(
  ctx: Ctx,
  job: JobRecord,
  round: number,
  err: unknown,
  o: { what: string; fallbackCode: string }
): void {
  ctx.store.jobs.updateRound(job.id, round, {
    status: 'failed',
    closeReason: `${o.what} failed: ${messageOf(err)}`,
  });
  failModelJob(
    ctx,
    job,
    round,
    isProtocolError(err) ? err.code : o.fallbackCode,
    `round ${round}: ${messageOf(err)}`
  );
}

/** The next round could not be planned (e.g. its sums could wrap the plaintext modulus). */
export function failNextRound(ctx: Ctx, job: JobRecord, next: number, err: unknown): void {
  failModelJob(ctx, job, next, isProtocolError(err) ? err.code : 'BAD_REQUEST', messageOf(err));
}

/**
 * A model round's result: the summed values with their noise, the round's cells and
 * interpretation, and notes: how it was noised, that `what` is post-processing, then `notes`.
 */
export function modelRoundResult(
  ctx: Ctx,
  o: {
    job: JobRecord;
    round: RoundRecord;
    query: { name: string; epsilon: number };
    noise: RoundNoise;
    values: readonly bigint[];
    variance: number[];
    cells: ResultCell[];
    interpretation: RoundResult['interpretation'];
    what: string;
    notes: string[];
  }
): RoundResult {
  const contributors = o.round.contributors ?? [];
  const noiseOn = o.job.spec.noise === 'on';
  return {
    version: 1,
    jobId: o.job.id,
    round: o.round.round,
    name: o.query.name,
    layoutHash: o.round.layoutHash,
    contributingNodes: contributors,
    epsilonPerNode: o.query.epsilon,
    noise: o.job.spec.noise,
    ...resultNoiseFields(o.noise, o.query.epsilon),
    values: o.values.map(String),
    noiseVariance: o.variance,
    cells: o.cells,
    interpretation: o.interpretation,
    notes: [
      noiseNote(o.noise, noiseOn, contributors.length, epsilonToMicro(o.query.epsilon)),
      `${o.what} post-processing of those noisy sums (no further privacy cost).`,
      ...o.notes,
    ],
    publishedAt: ctx.iso(),
  };
}

/** Stores the round's result and records its publication with `detail`. */
export function publishModelRound(
  ctx: Ctx,
  job: JobRecord,
  result: RoundResult,
  detail: Record<string, unknown>
): void {
  ctx.store.jobs.updateRound(job.id, result.round, { status: 'published', result });
  recordEvent(ctx, job.id, 'round_published', {
    round: result.round,
    detail: { contributors: result.contributingNodes, ...detail },
  });
}

/** The job's last round is in: the job is published. */
export function publishModelJob(ctx: Ctx, job: JobRecord): void {
  ctx.store.jobs.updateJob(job.id, { status: 'published' });
  recordEvent(ctx, job.id, 'job_published', {});
  ctx.log(`job ${job.id} published`);
}

/** Opens round `next` of the job with its query and layout; its deadline is the job's. */
export function openModelRound(
  ctx: Ctx,
  job: JobRecord,
  next: number,
  round: {
    query: RoundRecord['query'];
    layoutHash: string;
    layoutLength: number;
    deadlineMs: number;
  },
  detail: Record<string, unknown>
): void {
  const now = ctx.now();
  ctx.store.jobs.insertRound({
    jobId: job.id,
    round: next,
    query: round.query,
    layoutHash: round.layoutHash,
    layoutLength: round.layoutLength,
    openedAt: now,
    deadlineAt: now + round.deadlineMs,
  });
  recordEvent(ctx, job.id, 'round_opened', {
    round: next,
    detail: { layoutHash: round.layoutHash, slots: round.layoutLength, ...detail },
  });
}
