import {
  ClvRoundQuerySchema,
  ProtocolError,
  bgNbdFromTheta,
  clvIntervals,
  clvMeanLogSpend,
  clvNewtonRound,
  clvQueryLayout,
  clvRoundCount,
  clvStartTheta,
  clvStep,
  decodeClvRound,
  decodeClvStart,
  epsilonToMicro,
  federatedClvModel,
  gammaGammaFromTheta,
  isClvStartRound,
  rhoPicoForEpsilon,
  roundNoiseOf,
  type ClvJobSpec,
  type ClvModel,
  type ClvRoundQuery,
  type HeParamsId,
  type ResultCell,
  type RoundResult,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import {
  failModelStep,
  modelRoundResult,
  failNextRound,
  openModelRound,
  publishModelJob,
  publishModelRound,
} from './model-round-steps.ts';
import { clvRoundPlan } from './clv-rounds.ts';
import { asStoredQuery } from './train-rounds.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { aggregateNoiseVariance } from '../results/noise.ts';
import { thresholdOf } from './threshold.ts';

/**
 * Publishes a clv round (inside the decryption transaction, docs/clv.md "The clv job"): decodes
 * the aggregate, takes the floored Newton step (post-processing of DP outputs, no privacy cost),
 * stores the parameters after it with their 95% intervals in `interpretation`, and opens the
 * next round at them; after the last round the result carries the CLV model file
 * (`interpretation.clvModel`, and the job result's `clvModel`).
 */

/** What each clv round result holds in `interpretation`. */
export interface ClvRoundInterpretation {
  phase: 'clv';
  model: ClvRoundQuery['model'];
  step: number;
  /** Log-parameters after this round's step, and their 95% intervals (natural scale; none after
   * Gamma-Gamma's start round, whose theta is only where the Newton rounds start). */
  theta: number[];
  intervals: [number, number][];
  /** Gamma-Gamma's start round: the noisy mean of ln(mean repeat spend) it started from. */
  meanLogSpend?: number;
  /** Noisy customer count of the round. */
  count: number;
  clvModel?: ClvModel;
}

const PARAM_NAMES = { bgnbd: ['r', 'alpha', 'a', 'b'], 'gamma-gamma': ['p', 'q', 'v'] } as const;

function paramsOf(model: ClvRoundQuery['model'], theta: readonly number[]): number[] {
  const p = model === 'bgnbd' ? bgNbdFromTheta(theta) : gammaGammaFromTheta(theta);
  return Object.values(p);
}

/** The published interpretation of round `round` of the job (throws if it has none). */
function interpretationOf(ctx: Ctx, job: JobRecord, round: number): ClvRoundInterpretation {
  const r = ctx.store.jobs.rounds(job.id).find((x) => x.round === round);
  const i = r?.result?.interpretation as ClvRoundInterpretation | undefined;
  if (i?.phase !== 'clv')
    throw new ProtocolError('INTERNAL', `clv round ${round} has no published parameters`);
  return i;
}

/** The CLV model file once the last Gamma-Gamma round is in. */
function finalModel(
  ctx: Ctx,
  job: JobRecord,
  spec: ClvJobSpec,
  last: ClvRoundInterpretation,
  contributors: string[]
): ClvModel {
  const bgRounds = Array.from({ length: spec.clv.rounds.bgnbd }, (_, i) =>
    interpretationOf(ctx, job, i)
  );
  const bg = bgRounds[bgRounds.length - 1] as ClvRoundInterpretation;
  const noise = spec.noise === 'on';
  const totalMicro = epsilonToMicro(spec.clv.epsilon);
  return federatedClvModel({
    name: job.name,
    daysPerUnit: spec.clv.daysPerUnit,
    calibrationEnd: spec.clv.calibrationEnd,
    bgnbd: bg,
    gammaGamma: last,
    fit: {
      method: 'federated',
      jobId: job.id,
      nodes: contributors,
      rounds: clvRoundCount(spec.clv),
      noise,
      epsilonPerNode: noise ? spec.clv.epsilon : 0,
      ...(noise && spec.mechanism === 'distributed-gaussian'
        ? {
            delta: spec.delta,
            rho: Number(rhoPicoForEpsilon(totalMicro, spec.delta)) / 1e12,
          }
        : {}),
      // Mean of the BG/NBD rounds' noisy counts: post-processing, less noisy than one round.
      customers: Math.max(0, bgRounds.reduce((s, x) => s + x.count, 0) / bgRounds.length),
    },
  });
}

const normalCell = (block: string, estimate: number, sd: number): ResultCell => ({
  labels: [],
  block,
  estimate,
  noiseStd: sd,
  ci95: [estimate - 1.96 * sd, estimate + 1.96 * sd],
});

function resultCells(i: ClvRoundInterpretation, countStd: number, startStd: number): ResultCell[] {
  const count = normalCell('count', i.count, countStd);
  if (i.meanLogSpend !== undefined)
    return [count, normalCell('gamma-gamma:start mean log spend', i.meanLogSpend, startStd)];
  const names = PARAM_NAMES[i.model];
  const values = paramsOf(i.model, i.theta);
  return [
    count,
    ...names.map((name, k) => ({
      labels: [name],
      block: `${i.model}:parameter`,
      estimate: values[k] as number,
      noiseStd: 0,
      ci95: i.intervals[k] as [number, number],
    })),
  ];
}

export function publishClvRound(
  ctx: Ctx,
  job: JobRecord,
  spec: ClvJobSpec,
  r: RoundRecord,
  values: bigint[]
): void {
  const contributors = r.contributors ?? [];
  const q = ClvRoundQuerySchema.parse(r.query);
  const noiseOn = spec.noise === 'on';
  const noise = roundNoiseOf(spec, q, thresholdOf(job));
  const layout = clvQueryLayout(q);
  const variance = aggregateNoiseVariance(layout, contributors.length, noiseOn, noise);
  const isLast = r.round + 1 === clvRoundCount(spec.clv);
  let interp: ClvRoundInterpretation;
  let startStd = 0;
  try {
    if (isClvStartRound(q.model, q.step)) {
      const start = decodeClvStart({ layout, values, variance });
      startStd = Math.sqrt(start.logSpendNoiseVar) / Math.max(1, start.count);
      interp = {
        phase: 'clv',
        model: q.model,
        step: q.step,
        theta: clvStartTheta(start),
        intervals: [],
        count: start.count,
        meanLogSpend: clvMeanLogSpend(start),
      };
    } else {
      const decoded = decodeClvRound({ layout, values, variance });
      const theta = clvStep(q.theta, decoded);
      interp = {
        phase: 'clv',
        model: q.model,
        step: q.step,
        theta,
        intervals: clvIntervals(theta, decoded),
        count: decoded.count,
      };
    }
    if (isLast) interp.clvModel = finalModel(ctx, job, spec, interp, contributors);
  } catch (err) {
    failModelStep(ctx, job, r.round, err, { what: 'CLV step', fallbackCode: 'CLV_STEP_FAILED' });
    return;
  }
  const label = q.model === 'bgnbd' ? 'BG/NBD' : 'Gamma-Gamma';
  const result = modelRoundResult(ctx, {
    job,
    round: r,
    query: q,
    noise,
    values,
    variance,
    cells: resultCells(interp, Math.sqrt(variance[0] ?? 0), startStd),
    interpretation: interp,
    what: 'The parameters are',
    notes: [
      interp.meanLogSpend !== undefined
        ? `${label} start round: the noisy mean of ln(mean repeat spend) over the repeat customers sets where the Newton rounds start (interpretation.theta); its interval covers the noise only.`
        : `${label} Newton round ${clvNewtonRound(q.model, q.step)}: the parameter cells are the parameters after this round's step with approximate 95% intervals (noise and sampling)${isLast ? '; interpretation.clvModel is the CLV model file' : ''}.`,
    ],
  });
  publishModelRound(ctx, job, result, { model: q.model, step: q.step });
  if (isLast) {
    publishModelJob(ctx, job);
    return;
  }
  const next = r.round + 1;
  // Gamma-Gamma's first round is its start round (theta = 0 there only names the layout).
  const theta = next === spec.clv.rounds.bgnbd ? null : interp.theta;
  let plan: ReturnType<typeof clvRoundPlan>;
  try {
    plan = clvRoundPlan(spec, next, theta, {
      nodes: job.participants.length,
      heParams: (ctx.store.keys.get(job.keyId)?.heParams ?? DEFAULT_HE_PARAMS) as HeParamsId,
      maxRowsPerNode: ctx.maxRowsPerNode,
    });
  } catch (err) {
    failNextRound(ctx, job, next, err);
    return;
  }
  openModelRound(
    ctx,
    job,
    next,
    {
      query: asStoredQuery(plan.query),
      layoutHash: plan.layout.hash,
      layoutLength: plan.layout.length,
      deadlineMs: spec.deadlineMs,
    },
    { model: plan.query.model }
  );
}

/** The CLV model of a clv job's results: the last round's, once published. */
export function clvModelOf(results: readonly RoundResult[]): ClvModel | undefined {
  const last = results[results.length - 1]?.interpretation as ClvRoundInterpretation | undefined;
  return last?.phase === 'clv' ? last.clvModel : undefined;
}
