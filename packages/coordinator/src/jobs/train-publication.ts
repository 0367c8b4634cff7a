import {
  ProtocolError,
  applyUpdate,
  OWN_MODEL_BLOCK,
  ownModelCheckLayout,
  ownModelCheckRecord,
  roundLayout,
  roundNoiseOf,
  standardisationFromAggregate,
  standardisationLayout,
  startingModel,
  trainNoiseLayout,
  type HeParamsId,
  type RoundNoise,
  type Model,
  type ResultCell,
  type RoundResult,
  type TrainJobSpec,
  type TrainRoundQuery,
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
import { roundCount } from './round-queries.ts';
import {
  asStoredQuery,
  checkTrainCapacity,
  storedTrainQuery,
  trainRoundPlan,
} from './train-rounds.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { aggregateNoiseVariance } from '../results/noise.ts';
import { thresholdOf } from './threshold.ts';

/** The outcome of one train round: the model after it (round 0: the starting model). */
function stepModel(
  spec: TrainJobSpec,
  r: RoundRecord,
  values: bigint[],
  contributors: string[],
  noiseOn: boolean,
  jobId: string,
  noise: RoundNoise
): { model: Model; variance: number[] } {
  const train = spec.train;
  const q = storedTrainQuery(r.query);
  const n = contributors.length;
  if (r.round === 0) {
    const layout = standardisationLayout(train);
    const variance = aggregateNoiseVariance(layout, n, noiseOn, noise);
    const std = standardisationFromAggregate(train, layout, values);
    return {
      model: startingModel(train, std, { nodes: contributors, noise: noiseOn, jobId }),
      variance,
    };
  }
  if (!q.model)
    throw new ProtocolError('INTERNAL', `round ${r.round} was stored without its model`);
  if (q.phase === 'check') {
    // The final model does not move: the round adds the check's noisy count to it.
    const variance = aggregateNoiseVariance(ownModelCheckLayout(train), n, noiseOn, noise);
    const ownModelCheck = ownModelCheckRecord(train, {
      value: values[0] ?? 0n,
      contributors: n,
      noise,
      noiseOn,
    });
    return { model: { ...q.model, training: { ...q.model.training, ownModelCheck } }, variance };
  }
  const layout = roundLayout(train, q.model.encoding, r.round - 1);
  // The blocks as the nodes noised them (validation histograms merged: trainNoiseLayout).
  const variance = aggregateNoiseVariance(trainNoiseLayout(layout), n, noiseOn, noise);
  return {
    model: applyUpdate(train, q.model, { layout, values, variance, nodes: contributors }),
    variance,
  };
}

function resultCells(model: Model, phase: TrainRoundQuery['phase']): ResultCell[] {
  const check = model.training.ownModelCheck;
  if (phase === 'check' && check) {
    const half = 1.96 * check.noiseStd;
    return [
      {
        labels: [],
        block: OWN_MODEL_BLOCK,
        estimate: check.count,
        noiseStd: check.noiseStd,
        ci95: [check.count - half, check.count + half],
      },
    ];
  }
  const last = model.training.history[model.training.history.length - 1];
  if (!last) return [];
  const cell = (block: string, estimate: number): ResultCell => ({
    labels: [],
    block,
    estimate,
    noiseStd: 0,
    ci95: [estimate, estimate],
  });
  const cells = [cell('count', last.count)];
  if (last.loss !== null) cells.push(cell('mean:loss', last.loss));
  if (last.auc !== null) cells.push(cell('auc', last.auc));
  return cells;
}

function phaseNote(phase: TrainRoundQuery['phase'], round: number): string {
  if (phase === 'standardisation')
    return 'Phase 1: federated means and stds of the numeric features and the base rate; interpretation.model is the starting model.';
  if (phase === 'check')
    return "Own-model check: each node's 1 (its own model, fitted on its own training customers alone, beat the final model on its own validation customers by more than the margin at 95% confidence) or 0, summed with discrete Laplace noise; interpretation.model is the final model with training.ownModelCheck.";
  return `Optimiser round ${round - 1}: interpretation.model is the model after this round; its history entry ${round - 1} describes the model the nodes evaluated.`;
}

/**
 * Publishes a train round (inside the decryption transaction): decodes the aggregate, takes the
 * optimiser step (post-processing of DP outputs, no privacy cost), stores the round result with
 * the new model in `interpretation.model`, and opens the next round with that model, or marks
 * the job published after the last round.
 */
export function publishTrainRound(
  ctx: Ctx,
  job: JobRecord,
  spec: TrainJobSpec,
  r: RoundRecord,
  values: bigint[]
): void {
  const contributors = r.contributors ?? [];
  const q = storedTrainQuery(r.query);
  const noiseOn = spec.noise === 'on';
  const noise = roundNoiseOf(spec, q, thresholdOf(job));
  let stepped: { model: Model; variance: number[] };
  try {
    stepped = stepModel(spec, r, values, contributors, noiseOn, job.id, noise);
  } catch (err) {
    failModelStep(ctx, job, r.round, err, {
      what: 'optimiser step',
      fallbackCode: 'TRAINING_STEP_FAILED',
    });
    return;
  }
  const { model, variance } = stepped;
  const result = modelRoundResult(ctx, {
    job,
    round: r,
    query: q,
    noise,
    values,
    variance,
    cells: resultCells(model, q.phase),
    interpretation: { phase: q.phase, model },
    what: 'The model is',
    notes: [phaseNote(q.phase, r.round)],
  });
  publishModelRound(ctx, job, result, { phase: q.phase });
  const next = r.round + 1;
  if (next < roundCount(spec)) {
    const plan = trainRoundPlan(spec, next, model);
    try {
      // The round layout depends on the federated standardisation, so its range is checked now.
      const heParams = (ctx.store.keys.get(job.keyId)?.heParams ?? DEFAULT_HE_PARAMS) as HeParamsId;
      // One contributor: the largest share (the check round's is Laplace: roundNoiseOf).
      const tail = roundNoiseOf(spec, plan.query, 1);
      checkTrainCapacity(plan, job.participants.length, heParams, ctx.maxRowsPerNode, next, tail);
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
        layoutHash: plan.layoutHash,
        layoutLength: plan.layoutLength,
        deadlineMs: spec.deadlineMs,
      },
      { phase: plan.query.phase }
    );
    return;
  }
  publishModelJob(ctx, job);
}

/** The latest model of a train job: the one in its last published round, if any. */
export function latestModel(results: readonly RoundResult[]): Model | undefined {
  for (let i = results.length - 1; i >= 0; i--) {
    const interp = results[i]?.interpretation as { model?: Model } | undefined;
    if (interp?.model) return interp.model;
  }
  return undefined;
}
