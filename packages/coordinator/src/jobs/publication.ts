import { layoutOf, roundNoiseOf } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { buildRoundResult } from '../results/publish.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import { recordEvent } from './events.ts';
import { roundCount, roundQuery, type RfmMeans } from './round-queries.ts';
import { publishTrainRound } from './train-publication.ts';
import { publishClvRound } from './clv-publication.ts';
import { thresholdOf } from './threshold.ts';

/**
 * Federated RFM means from round 0's aggregate: mean = (sum / scale) / count over the single
 * cell. Undefined when the noisy count is not positive.
 */
export function rfmMeansFrom(values: bigint[], r: RoundRecord): RfmMeans | undefined {
  const layout = layoutOf(r.query);
  const count = layout.blocks.find((b) => b.kind === 'count');
  const c = count ? Number(values[count.offset] as bigint) : 0;
  if (!(c > 0)) return undefined;
  const mean = (field: string): number => {
    const b = layout.blocks.find((x) => x.name === `sum:${field}`);
    return b ? Number(values[b.offset] as bigint) / b.scale / c : 0;
  };
  return {
    recency: mean('recency_days'),
    frequency: mean('frequency'),
    monetary: mean('monetary'),
  };
}

/**
 * Publishes a round (call inside the decryption transaction): stores the result, and either
 * opens the next round (rfm phase 2 against the phase-1 means; train: the next optimiser round,
 * train-publication.ts; clv: the next Newton round, clv-publication.ts) or marks the job published.
 */
export function publishRound(ctx: Ctx, job: JobRecord, r: RoundRecord, values: bigint[]): void {
  if (job.spec.kind === 'train') {
    publishTrainRound(ctx, job, job.spec, r, values);
    return;
  }
  if (job.spec.kind === 'clv') {
    publishClvRound(ctx, job, job.spec, r, values);
    return;
  }
  const { jobs } = ctx.store;
  const layout = layoutOf(r.query);
  const result = buildRoundResult({
    jobId: job.id,
    round: r.round,
    name: r.query.name,
    layout,
    values,
    contributors: r.contributors ?? [],
    epsilonPerNode: r.query.epsilon,
    noise: job.spec.noise,
    roundNoise: roundNoiseOf(job.spec, r.query, thresholdOf(job)),
    publishedAt: ctx.iso(),
    dimensions: r.query.dimensions.map((d) => d.field),
    measures: r.query.measures,
  });
  jobs.updateRound(job.id, r.round, { status: 'published', result });
  recordEvent(ctx, job.id, 'round_published', {
    round: r.round,
    detail: { contributors: result.contributingNodes },
  });
  const next = r.round + 1;
  if (next < roundCount(job.spec)) {
    const means = rfmMeansFrom(values, r);
    if (!means) {
      const message = 'phase 1 counted no customers: the RFM means are undefined';
      jobs.updateJob(job.id, {
        status: 'failed',
        failure: { code: 'RFM_MEANS_UNDEFINED', message },
      });
      recordEvent(ctx, job.id, 'job_failed', {
        round: r.round,
        detail: { code: 'RFM_MEANS_UNDEFINED', message },
      });
      return;
    }
    jobs.updateJob(job.id, { rfmMeans: means });
    const query = roundQuery(job.spec, next, means);
    const nextLayout = layoutOf(query);
    const now = ctx.now();
    jobs.insertRound({
      jobId: job.id,
      round: next,
      query,
      layoutHash: nextLayout.hash,
      layoutLength: nextLayout.length,
      openedAt: now,
      deadlineAt: now + job.spec.deadlineMs,
    });
    recordEvent(ctx, job.id, 'round_opened', {
      round: next,
      detail: { layoutHash: nextLayout.hash, slots: nextLayout.length, means },
    });
    return;
  }
  jobs.updateJob(job.id, { status: 'published' });
  recordEvent(ctx, job.id, 'job_published', {});
  ctx.log(`job ${job.id} published`);
}
