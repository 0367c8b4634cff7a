import {
  LOCAL_LAPLACE,
  TrainRoundQuerySchema,
  blockNoiseTail,
  ownModelCheckLayout,
  ownModelCheckRound,
  roundLayout,
  standardisationLayout,
  type ClvRoundQuery,
  type HeParamsId,
  type Model,
  type RoundNoise,
  type SegmentQuery,
  type TrainJobSpec,
  type TrainRoundQuery,
} from '@fedmark/protocol';
import { MAX_ROWS_REMEDY, checkRoundCapacity } from './capacity.ts';

/**
 * Rounds of a `train` job (docs/models.md §9): round 0 is the standardisation phase
 * (`standardisationLayout`), round r >= 1 is optimiser round r-1 at the model published after
 * round r-1 (`roundLayout(train, model.encoding, r-1)`). Everything a node needs is in the round
 * query, so a node derives the layout itself and checks it against `layoutHash`. With
 * `train.ownModelCheck`, round train.rounds + 1 is the check at the final model
 * (`ownModelCheckLayout`).
 */

/** Public block shape shared by the standardisation and round layouts. */
export interface TrainLayoutBlock {
  name: string;
  offset: number;
  length: number;
  sensitivity: bigint;
  epsilonMicro: number;
}

export interface TrainRoundPlan {
  query: TrainRoundQuery;
  layoutHash: string;
  layoutLength: number;
  blocks: TrainLayoutBlock[];
}

/**
 * The round spec a node receives for round `round`. `model` is the model entering the round
 * (null for round 0). The round's epsilon is what the node charges: the standardisation share in
 * round 0, `trainEpsilonPlan(train).perRoundMicro` after (the validation histograms ride free by
 * parallel composition: they read only validation customers); the check round's is the check's.
 */
export function trainRoundPlan(
  spec: TrainJobSpec,
  round: number,
  model: Model | null
): TrainRoundPlan {
  const train = spec.train;
  if (round === 0) {
    const layout = standardisationLayout(train);
    const query = TrainRoundQuerySchema.parse({
      kind: 'train_round',
      name: `${spec.name.slice(0, 170)}: standardisation`,
      purpose: 'model_training',
      epsilon: layout.epsilonMicro / 1e6,
      phase: 'standardisation',
      train,
      model: null,
      layoutHash: layout.hash,
    });
    return { query, layoutHash: layout.hash, layoutLength: layout.length, blocks: layout.blocks };
  }
  if (!model) throw new RangeError(`round ${round} of a train job needs the model entering it`);
  if (round === ownModelCheckRound(train)) {
    // The check round: the final model, and one noisy bit per node (protocol own-model-check.ts).
    const check = ownModelCheckLayout(train);
    const query = TrainRoundQuerySchema.parse({
      kind: 'train_round',
      name: `${spec.name.slice(0, 170)}: own-model check`,
      purpose: 'model_training',
      epsilon: check.epsilonMicro / 1e6,
      phase: 'check',
      train,
      model,
      layoutHash: check.hash,
    });
    return { query, layoutHash: check.hash, layoutLength: check.length, blocks: check.blocks };
  }
  const layout = roundLayout(train, model.encoding, round - 1);
  const trainingEpsilonMicro = layout.epsilonMicro;
  const query = TrainRoundQuerySchema.parse({
    kind: 'train_round',
    name: `${spec.name.slice(0, 170)}: round ${round}`,
    purpose: 'model_training',
    epsilon: trainingEpsilonMicro / 1e6,
    phase: 'gradient',
    train,
    model,
    layoutHash: layout.hash,
  });
  return { query, layoutHash: layout.hash, layoutLength: layout.length, blocks: layout.blocks };
}

/**
 * The store keeps every round's query as JSON typed as a segment query; a train or clv round
 * stores its own query there (the wire schema of a round spec accepts all three).
 */
export function asStoredQuery(q: TrainRoundQuery | ClvRoundQuery): SegmentQuery {
  return q as unknown as SegmentQuery;
}

/** Reads a stored train round query back, validated. */
export function storedTrainQuery(q: SegmentQuery): TrainRoundQuery {
  return TrainRoundQuerySchema.parse(q);
}

/**
 * Refuses a train round whose aggregate could wrap around the plaintext modulus, or that needs
 * more ciphertexts than a submission may carry. Per slot, one customer moves a block's slots by at
 * most its L1 sensitivity in total, so nodes x (maxRowsPerNode x sensitivity + noise tail) bounds
 * any slot of the sum.
 */
export function checkTrainCapacity(
  plan: TrainRoundPlan,
  nodes: number,
  heParams: HeParamsId,
  maxRowsPerNode: number,
  round: number,
  noise: RoundNoise = LOCAL_LAPLACE
): void {
  const perNode = (b: TrainLayoutBlock): bigint =>
    BigInt(maxRowsPerNode) * b.sensitivity + blockNoiseTail(b, noise);
  checkRoundCapacity({
    round,
    slots: plan.layoutLength,
    blocks: plan.blocks,
    perNode,
    nodes,
    heParams,
    maxRowsPerNode,
    remedy: `lower clipNorm or ${MAX_ROWS_REMEDY}`,
  });
}
