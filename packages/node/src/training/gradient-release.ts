import {
  CURVATURE_CLIP,
  encodeRow,
  findBlock,
  linearScore,
  modelVector,
  roundLayout,
  scoreBin,
  sigmoid,
  trainNoiseLayout,
  type Model,
  type RawRow,
  type RoundNoise,
  type RoundLayout,
  type TrainSpec,
} from '@fedmark/protocol';
import { roundHalfAway } from './_round.ts';
import { addNoise } from '../privacy/noise.ts';
import { isValidationRecord } from './validation-split.ts';

/** One customer's row of the feature table (already filtered to `model_training` consent). */
export interface TrainingRow {
  customerId: string;
  values: RawRow;
}

/** The exact, un-noised round vector and what it was computed from. Never leaves the node. */
export interface RoundVector {
  layout: RoundLayout;
  values: bigint[];
  trainingRows: number;
  validationRows: number;
}

export interface GradientRelease {
  layout: RoundLayout;
  /** Noised integer vector in layout order: what is encrypted and sent. */
  values: bigint[];
  /** Noise variance per slot, slot units (zeros without noise). */
  variance: number[];
  /** Epsilon this release charges at the node, micro-epsilon (the round's share). */
  epsilonMicro: number;
}

function labelOf(spec: TrainSpec, row: RawRow): number {
  const v = row[spec.label.column];
  return v !== null && v !== undefined && String(v) === spec.label.positive ? 1 : 0;
}

/**
 * The exact fixed-point statistics of one round at the published `model` (round index =
 * model.training.roundsDone). Each record's terms are rounded before summing, so the sum over
 * nodes equals the pooled vector exactly whatever the split.
 */
export function localRoundVector(
  spec: TrainSpec,
  model: Model,
  rows: Iterable<TrainingRow>
): RoundVector {
  const layout = roundLayout(spec, model.encoding, model.training.roundsDone);
  const acc = new Float64Array(layout.length);
  const bump = (i: number, v: number): void => {
    acc[i] = (acc[i] as number) + v;
  };
  const w = modelVector(model);
  const d = w.length;
  const count = findBlock(layout, 'count');
  const loss = findBlock(layout, 'loss');
  const grad = findBlock(layout, 'gradient');
  const hess = findBlock(layout, 'hessian');
  const curv = findBlock(layout, 'curvature');
  const evalPos = findBlock(layout, 'eval_pos');
  const evalNeg = findBlock(layout, 'eval_neg');
  if (!count || !loss || !grad) throw new RangeError('round layout lacks count, loss or gradient');
  const nz: number[] = [];
  let trainingRows = 0;
  let validationRows = 0;
  for (const row of rows) {
    const x = encodeRow(model.encoding, row.values);
    const y = labelOf(spec, row.values);
    const p = sigmoid(linearScore(w, x));
    if (
      evalPos &&
      evalNeg &&
      isValidationRecord(row.customerId, spec.validation.fraction, spec.validation.seed)
    ) {
      const b = y === 1 ? evalPos : evalNeg;
      bump(b.offset + scoreBin(p), 1);
      validationRows++;
      continue;
    }
    trainingRows++;
    bump(count.offset, 1);
    // Log-loss of this record, clipped to [0, lossClip] (p can round to exactly 0 or 1).
    const ll = -Math.log(Math.max(1e-300, y === 1 ? p : 1 - p));
    bump(loss.offset, roundHalfAway(Math.min(spec.lossClip, ll) * loss.scale));
    nz.length = 0;
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const v = x[j] as number;
      if (v !== 0) {
        nz.push(j);
        sq += v * v;
      }
    }
    const r = y - p;
    // Per-record L2 clipping of g = r x: |g|_2 = |r| |x|_2.
    const norm = Math.abs(r) * Math.sqrt(sq);
    const factor = norm > spec.clipNorm ? spec.clipNorm / norm : 1;
    for (const j of nz) {
      bump(grad.offset + j, roundHalfAway(factor * r * (x[j] as number) * grad.scale));
    }
    if (curv) {
      // Per-record L2 clip of (p(1-p) x_j^2)_j to CURVATURE_CLIP: its norm is p(1-p) |x|_4^2.
      let quart = 0;
      for (const j of nz) quart += (x[j] as number) ** 4;
      const cnorm = p * (1 - p) * Math.sqrt(quart);
      const wt = p * (1 - p) * (cnorm > CURVATURE_CLIP ? CURVATURE_CLIP / cnorm : 1) * curv.scale;
      for (const j of nz) bump(curv.offset + j, roundHalfAway(wt * (x[j] as number) ** 2));
    }
    if (hess) {
      const wt = p * (1 - p) * hess.scale;
      for (let a = 0; a < nz.length; a++) {
        const i = nz[a] as number;
        const base = hess.offset + i * d - (i * (i - 1)) / 2 - i;
        const xi = x[i] as number;
        for (let b = a; b < nz.length; b++) {
          const j = nz[b] as number;
          bump(base + j, roundHalfAway(wt * xi * (x[j] as number)));
        }
      }
    }
  }
  const values = Array.from(acc, (v, i) => {
    if (!Number.isSafeInteger(v))
      throw new RangeError(`slot ${i} left the exact integer range of a double (${v})`);
    return BigInt(v);
  });
  return { layout, values, trainingRows, validationRows };
}

/**
 * The node's release for one round: the exact round vector plus discrete Laplace noise in the
 * integer domain (CKS20 sampler), each block with scale sensitivity / epsilon_block. The round's
 * epsilon is the job's total minus the standardisation share, divided equally over the rounds
 * (basic sequential composition; see trainEpsilonPlan), and split over the blocks by
 * ROUND_EPSILON_WEIGHTS. `noise: false` exists for exactness tests and benchmarks only.
 * `roundNoise` is the job's mechanism (default local Laplace); the blocks are noised as the
 * release path does (trainNoiseLayout: validation histograms as one block).
 */
export function localGradientRelease(
  spec: TrainSpec,
  model: Model,
  rows: Iterable<TrainingRow>,
  opts: { noise: boolean; roundNoise?: RoundNoise }
): GradientRelease {
  const exact = localRoundVector(spec, model, rows);
  const { layout } = exact;
  const { values, variance } = opts.noise
    ? addNoise(trainNoiseLayout(layout), exact.values, opts.roundNoise)
    : { values: exact.values.slice(), variance: new Array<number>(layout.length).fill(0) };
  return { layout, values, variance, epsilonMicro: layout.epsilonMicro };
}
