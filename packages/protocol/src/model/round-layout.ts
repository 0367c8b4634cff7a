import { canonicalHash } from '../hashing.ts';
import { epsilonToMicro } from '../schemas/common.ts';
import { encodedNames, encodingBounds, type EncodedFeature } from './feature-encoding.ts';
import type { TrainSpec } from './train-spec.ts';

/**
 * The public layout of one node's release in one training round. Every value is an integer
 * (fixed point), so the HE aggregation is exact and the sum of the nodes' vectors equals the
 * pooled vector bit for bit. Sensitivities are L1, in slot units, for adding or removing one
 * customer (user-level DP: one row per customer in a feature table), so discrete Laplace noise
 * with scale sensitivity/epsilon makes each block epsilon-DP (docs/models.md §4, docs/privacy.md).
 */

export type TrainBlockName =
  | 'count'
  | 'loss'
  | 'gradient'
  | 'hessian'
  | 'curvature'
  | 'eval_pos'
  | 'eval_neg';

/** One block of a fixed-point round layout (training, and the federated CLV fit's). */
export interface FixedPointBlock<TName extends string> {
  name: TName;
  offset: number;
  length: number;
  /** A slot value v means v / scale in real units. */
  scale: number;
  sensitivity: bigint;
  /** L2 sensitivity, where it is below the L1 one (gradient, Hessian): what the Gaussian uses. */
  l2Sensitivity?: bigint;
  epsilonMicro: number;
}

export type TrainBlock = FixedPointBlock<TrainBlockName>;

export interface RoundLayout {
  round: number;
  blocks: TrainBlock[];
  length: number;
  /** Names of the encoded columns (gradient and curvature order; the Hessian is their upper triangle, row-major). */
  columns: string[];
  /** Round epsilon charged at the node: the sum over the training blocks (sequential composition). */
  epsilonMicro: number;
  hash: string;
}

/** Fixed bins of the predicted probability for the federated AUC histogram. */
export const EVAL_BINS = 20;

/**
 * Relative epsilon weights of the blocks inside a round. The gradient is what moves the model,
 * so it gets most of it; count and loss are single slots that only need a rough value (the loss
 * gets 2 because its sensitivity is lossClip, not 1); the
 * Hessian (Newton) gets as much as the gradient because its noise drives the step's error as much.
 * The diagonal curvature (`diagonal`) gets 2: its noise only matters through the floor of the
 * step's denominator, and every share it takes adds noise to the gradient. 1 and 2 measured
 * alike; 4, 8 and 16 lost on South German credit at epsilon 1 (docs/models.md §5).
 */
export const ROUND_EPSILON_WEIGHTS: Record<
  'count' | 'loss' | 'gradient' | 'hessian' | 'curvature',
  number
> = {
  count: 1,
  loss: 2,
  gradient: 16,
  hessian: 16,
  curvature: 2,
};

/**
 * Per-record L2 clip of the curvature vector (p(1-p) x_j^2)_j of the `diagonal` optimiser, so
 * its L2 sensitivity is this clip, not the unclipped bound min(linf B2, B2^2)/4, under which a
 * round's diagonal was mostly noise (noise std 0.55 n on South German credit at epsilon 1,
 * against curvatures of about 0.2 n). 1 clips few records (p(1-p) <= 1/4, and |x|_4^2 is a few
 * for standardised and one-hot columns); 0.5 lost on South German credit without noise (0.758
 * against 0.778; docs/models.md §5).
 */
export const CURVATURE_CLIP = 1;

/** Share of the total epsilon spent on phase 1 (standardisation and base rate): 0.1 and 0.2 measured alike on wa_churn (docs/models.md). */
export const STANDARDISATION_SHARE = 0.1;

export interface TrainEpsilonPlan {
  totalMicro: number;
  standardisationMicro: number;
  perRoundMicro: number;
}

/**
 * Basic sequential composition (Dwork & Roth 2014, Thm 3.14): the job's epsilon is the
 * standardisation phase plus `rounds` equal round budgets. Integers (micro-epsilon) keep the sum
 * exact: the rounding remainder goes to the standardisation phase, so the total is exactly spent.
 */
export function trainEpsilonPlan(spec: TrainSpec): TrainEpsilonPlan {
  const totalMicro = epsilonToMicro(spec.epsilon);
  const perRoundMicro = Math.floor((totalMicro * (1 - STANDARDISATION_SHARE)) / spec.rounds);
  const standardisationMicro = totalMicro - perRoundMicro * spec.rounds;
  if (perRoundMicro < 100 || standardisationMicro < 1) {
    throw new RangeError(
      `epsilon ${spec.epsilon} is too small for ${spec.rounds} rounds (under 0.0001 per round)`
    );
  }
  return { totalMicro, standardisationMicro, perRoundMicro };
}

/** Fixed-point scales: about 2^16 units for the largest per-record value of each statistic. */
export function gradientScale(spec: TrainSpec): number {
  return Math.max(1, Math.floor(2 ** 16 / spec.clipNorm));
}

/** Fixed-point scale of the curvature block: about 2^16 units for the clipped per-record norm. */
export function curvatureScale(): number {
  return Math.floor(2 ** 16 / CURVATURE_CLIP);
}

function hessianScale(linf: number): number {
  return Math.max(1, Math.floor(2 ** 16 / ((linf * linf) / 4)));
}

/**
 * Layout of round `round`. Blocks: `count`; `loss` (clipped log-loss sum); `gradient` (sum of
 * per-record clipped gradients); `hessian` (Newton only: upper triangle of X^T W X);
 * `curvature` (diagonal only: sum of the per-record clipped p(1-p) x_j^2); then `eval_pos`/
 * `eval_neg` (validation score histograms, only if a validation split is declared).
 *
 * Sensitivity bounds (per customer, slot units), k = 1 + #features non-zero columns at most:
 * - gradient: |g|_1 <= min(sqrt(k) * clipNorm, B1) because g = r x with |r| <= 1 has at most k
 *   non-zeros (Cauchy-Schwarz) and |x|_1 <= B1; rounding each of k coordinates adds <= 1/2.
 * - hessian: sum_{i<=j} |w x_i x_j| = w (|x|_1^2 + |x|_2^2) / 2 <= (B1^2 + B2^2) / 8 since
 *   w = p(1-p) <= 1/4; rounding adds <= 1/2 per non-zero entry, k(k+1)/2 of them.
 * - curvature (diagonal): the vector (p(1-p) x_j^2)_j is clipped to L2 norm CURVATURE_CLIP per
 *   record and has at most k non-zeros, so |.|_1 <= sqrt(k) CURVATURE_CLIP, |.|_2 <= CURVATURE_CLIP;
 *   rounding adds k/2 (L1) and sqrt(k)/2 (L2).
 * - eval: one validation record falls in exactly one bin.
 * L2 bounds, for the Gaussian (docs/privacy.md "Distributed noise"): |g|_2 <= clipNorm, plus
 * sqrt(k)/2 of rounding; the Hessian's entries w x_i x_j (i <= j) have |.|_2 <= w |x|_2^2 <= B2^2/4,
 * plus sqrt(k(k+1)/2)/2 of rounding.
 * The eval blocks cover validation records only, disjoint from the training records the other
 * blocks read, so by parallel composition they get the whole round epsilon at no extra charge.
 */
export function roundLayout(
  spec: TrainSpec,
  encoding: readonly EncodedFeature[],
  round: number
): RoundLayout {
  if (!Number.isSafeInteger(round) || round < 0 || round >= spec.rounds) {
    throw new RangeError(`round expected an integer in [0, ${spec.rounds - 1}], got ${round}`);
  }
  const columns = encodedNames(encoding);
  const d = columns.length;
  const b = encodingBounds(encoding);
  const sg = gradientScale(spec);
  const sh = hessianScale(b.linf);
  const sl = Math.max(1, Math.floor(2 ** 16 / spec.lossClip));
  const gradL1 = Math.min(Math.sqrt(b.k) * spec.clipNorm, b.l1);
  const draft: Omit<TrainBlock, 'offset' | 'epsilonMicro'>[] = [
    { name: 'count', length: 1, scale: 1, sensitivity: 1n },
    { name: 'loss', length: 1, scale: sl, sensitivity: BigInt(Math.ceil(spec.lossClip * sl)) },
  ];
  const withL2 = (sensitivity: bigint, l2: bigint) =>
    l2 < sensitivity ? { sensitivity, l2Sensitivity: l2 } : { sensitivity };
  draft.push({
    name: 'gradient',
    length: d,
    scale: sg,
    ...withL2(
      BigInt(Math.ceil(gradL1 * sg + b.k / 2)),
      BigInt(Math.ceil(spec.clipNorm * sg + Math.sqrt(b.k) / 2))
    ),
  });
  if (spec.optimiser.kind === 'newton') {
    const hL1 = (b.l1 * b.l1 + b.l2sq) / 8;
    const entries = (b.k * (b.k + 1)) / 2;
    draft.push({
      name: 'hessian',
      length: (d * (d + 1)) / 2,
      scale: sh,
      ...withL2(
        BigInt(Math.ceil(hL1 * sh + entries / 2)),
        BigInt(Math.ceil((b.l2sq / 4) * sh + Math.sqrt(entries) / 2))
      ),
    });
  }
  if (spec.optimiser.kind === 'diagonal') {
    const sc = curvatureScale();
    draft.push({
      name: 'curvature',
      length: d,
      scale: sc,
      ...withL2(
        BigInt(Math.ceil(Math.sqrt(b.k) * CURVATURE_CLIP * sc + b.k / 2)),
        BigInt(Math.ceil(CURVATURE_CLIP * sc + Math.sqrt(b.k) / 2))
      ),
    });
  }
  const perRound = trainEpsilonPlan(spec).perRoundMicro;
  const weights = draft.map(
    (blk) => ROUND_EPSILON_WEIGHTS[blk.name as keyof typeof ROUND_EPSILON_WEIGHTS]
  );
  const total = weights.reduce((s, w) => s + w, 0);
  const shares = weights.map((w) => Math.floor((perRound * w) / total));
  // The flooring remainder goes to the gradient, so the shares sum exactly to the round epsilon.
  const gi = draft.findIndex((blk) => blk.name === 'gradient');
  shares[gi] = (shares[gi] as number) + perRound - shares.reduce((s, x) => s + x, 0);
  const blocks: TrainBlock[] = [];
  let offset = 0;
  draft.forEach((blk, i) => {
    blocks.push({ ...blk, offset, epsilonMicro: shares[i] as number });
    offset += blk.length;
  });
  if (spec.validation.fraction > 0) {
    for (const name of ['eval_pos', 'eval_neg'] as const) {
      blocks.push({
        name,
        offset,
        length: EVAL_BINS,
        scale: 1,
        sensitivity: 1n,
        epsilonMicro: perRound,
      });
      offset += EVAL_BINS;
    }
  }
  const hash = canonicalHash('train-round-layout', {
    round,
    columns,
    blocks: blocks.map((blk) => ({ ...blk })),
  });
  return { round, blocks, length: offset, columns, epsilonMicro: perRound, hash };
}

/** The block named `name`, or undefined. */
export function findBlock(layout: RoundLayout, name: TrainBlockName): TrainBlock | undefined {
  return layout.blocks.find((b) => b.name === name);
}

/** The partition of the validation histograms: customers disjoint from the training ones. */
export const VALIDATION_PARTITION = 'validation';

/** A block as the nodes noise it: a layout block, or the merged validation histograms. */
export interface TrainNoiseBlock {
  name: string;
  offset: number;
  length: number;
  sensitivity: bigint;
  l2Sensitivity?: bigint;
  epsilonMicro: number;
  partition: string;
}

/**
 * A round layout as the nodes noise it (and the coordinator reports the noise): the training
 * blocks in the `training` partition, and `eval_pos` + `eval_neg` merged into one block of
 * sensitivity 1 in the validation partition, at the round's epsilon: a validation customer
 * falls in exactly one bin of one of them, and validation customers are disjoint from training
 * ones (parallel composition). The slots, scales and layout hash are roundLayout's; only the
 * composition is spelled out.
 */
export function trainNoiseLayout(full: RoundLayout): {
  length: number;
  hash: string;
  blocks: TrainNoiseBlock[];
} {
  const evalBlocks = full.blocks.filter((b) => b.name === 'eval_pos' || b.name === 'eval_neg');
  const training = full.blocks
    .filter((b) => !evalBlocks.includes(b))
    .map((b) => ({ ...b, partition: 'training' }));
  const out = { length: full.length, hash: full.hash, blocks: training as TrainNoiseBlock[] };
  const head = evalBlocks[0];
  if (head === undefined) return out;
  out.blocks.push({
    name: 'eval',
    offset: head.offset,
    length: evalBlocks.reduce((s, b) => s + b.length, 0),
    sensitivity: 1n,
    epsilonMicro: head.epsilonMicro,
    partition: VALIDATION_PARTITION,
  });
  return out;
}
