import type { TrainSpec } from './train-spec.ts';
import { flooredSolve } from './_linalg.ts';
import { diagonalStep } from './_diagonal-step.ts';
import { aucFromHistograms, aucInterval } from './auc.ts';
import { initialModel, modelVector, withVector, type Model } from './model-format.ts';
import { encodingOf, type Standardisation } from './feature-encoding.ts';
import { findBlock, roundLayout, type RoundLayout, type TrainBlockName } from './round-layout.ts';
import { ProtocolError } from '../errors.ts';

/**
 * The coordinator's side of a round: decode the aggregated (summed, noisy) integer vector and
 * take one optimiser step. Pure post-processing of DP releases, so it costs no privacy.
 */

export interface RoundAggregate {
  layout: RoundLayout;
  /** Slot-wise sum of the nodes' released vectors (what HE decryption returns). */
  values: readonly bigint[];
  /** Slot-wise sum of the nodes' noise variances (slot units), for error bars; the step itself derives noise levels from the public layout. */
  variance: readonly number[];
  /** Ids of the contributing nodes. */
  nodes: readonly string[];
}

/** Decoded statistics of one round, real units. */
export interface RoundStatistics {
  count: number;
  lossSum: number;
  gradient: number[];
  /** Full symmetric matrix (Newton only). */
  hessian: number[][] | null;
  /** Sum of the clipped diagonal curvature (diagonal only). */
  curvature: number[] | null;
  evalPos: number[] | null;
  evalNeg: number[] | null;
  /** The noise variance of each validation bin (public: from the layout and the mechanism). */
  evalPosVariance: number[] | null;
  evalNegVariance: number[] | null;
  /** Std of one Hessian entry's noise, real units (0 without noise). */
  hessianNoiseStd: number;
  /** Std of one curvature entry's and one gradient entry's noise, real units (0 without noise). */
  curvatureNoiseStd: number;
  gradientNoiseStd: number;
}

function blockValues(agg: RoundAggregate, name: TrainBlockName): number[] | null {
  const b = findBlock(agg.layout, name);
  if (!b) return null;
  return agg.values.slice(b.offset, b.offset + b.length).map((v) => Number(v) / b.scale);
}

/** A block's noise variances in real units (slot variance / scale^2), or null without the block. */
function blockVariance(agg: RoundAggregate, name: TrainBlockName): number[] | null {
  const b = findBlock(agg.layout, name);
  if (!b) return null;
  return agg.variance.slice(b.offset, b.offset + b.length).map((v) => v / (b.scale * b.scale));
}

/** Decodes the summed vector; `noise` says whether the nodes added DP noise (model.training.noise). */
export function decodeRound(agg: RoundAggregate, noise = true): RoundStatistics {
  if (agg.values.length !== agg.layout.length) {
    throw new RangeError(
      `aggregate expected ${agg.layout.length} slots (layout ${agg.layout.hash.slice(0, 12)}), got ${agg.values.length}`
    );
  }
  const d = agg.layout.columns.length;
  const gradient = blockValues(agg, 'gradient');
  if (!gradient) throw new RangeError('layout has no gradient block');
  const tri = blockValues(agg, 'hessian');
  let hessian: number[][] | null = null;
  let hessianNoiseStd = 0;
  if (tri) {
    hessian = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    let k = 0;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const v = tri[k++] as number;
        (hessian[i] as number[])[j] = v;
        (hessian[j] as number[])[i] = v;
      }
    }
    const hb = findBlock(agg.layout, 'hessian');
    // `variance` is derived from public facts only (layout, mechanism, contributors: the
    // coordinator's aggregateNoiseVariance), never from what nodes report; it holds for local
    // Laplace and distributed shares alike.
    if (hb && noise) hessianNoiseStd = Math.sqrt(agg.variance[hb.offset] ?? 0) / hb.scale;
  }
  // Noise stds from the public variance (see above); every slot of a block has the same.
  const noiseStd = (name: TrainBlockName): number => {
    const blk = findBlock(agg.layout, name);
    return blk && noise ? Math.sqrt(agg.variance[blk.offset] ?? 0) / blk.scale : 0;
  };
  return {
    count: (blockValues(agg, 'count') as number[])[0] as number,
    lossSum: (blockValues(agg, 'loss') as number[])[0] as number,
    gradient,
    hessian,
    curvature: blockValues(agg, 'curvature'),
    evalPos: blockValues(agg, 'eval_pos'),
    evalNeg: blockValues(agg, 'eval_neg'),
    evalPosVariance: blockVariance(agg, 'eval_pos'),
    evalNegVariance: blockVariance(agg, 'eval_neg'),
    hessianNoiseStd,
    curvatureNoiseStd: noiseStd('curvature'),
    gradientNoiseStd: noiseStd('gradient'),
  };
}

/**
 * The model published for round 0: the encoding from the phase-1 standardisation, all weights 0
 * and the intercept at the logit of the federated base rate (0 if phase 1 did not release it).
 */
export function startingModel(
  spec: TrainSpec,
  std: Standardisation,
  opts: { nodes: string[]; noise: boolean; jobId?: string }
): Model {
  const model = initialModel({
    name: spec.name,
    label: spec.label,
    encoding: encodingOf(spec, std),
    optimiser: spec.optimiser.kind,
    roundsPlanned: spec.rounds,
    epsilonPerNode: spec.epsilon,
    noise: opts.noise,
    nodes: opts.nodes,
    ...(opts.jobId === undefined ? {} : { jobId: opts.jobId }),
  });
  const rate = std.positiveRate;
  return rate === undefined ? model : { ...model, intercept: Math.log(rate / (1 - rate)) };
}

/**
 * One optimiser step. `newton`: w += (H + l2 I)^-1 g with eigenvalues floored at the noise edge
 * 2 sigma sqrt(d) (the spectral norm of a symmetric noise matrix with entry std sigma, Wigner) so
 * noise cannot create tiny or negative curvature. `gd`: heavy-ball gradient ascent. `diagonal`:
 * heavy ball preconditioned by the floored DP diagonal curvature (_diagonal-step.ts).
 * Returns the new model with the round appended to its history.
 */
export function applyUpdate(spec: TrainSpec, model: Model, agg: RoundAggregate): Model {
  // The aggregate must be for the round this model is at, under the layout everyone derives.
  const expected = roundLayout(spec, model.encoding, model.training.roundsDone);
  if (agg.layout.hash !== expected.hash) {
    throw new ProtocolError(
      'LAYOUT_MISMATCH',
      `aggregate layout ${agg.layout.hash.slice(0, 12)} is not the layout of round ${expected.round} (${expected.hash.slice(0, 12)})`
    );
  }
  const s = decodeRound(agg, model.training.noise);
  const w = Array.from(modelVector(model));
  const d = w.length;
  if (s.gradient.length !== d)
    throw new RangeError(`aggregate has ${s.gradient.length} columns, model has ${d}`);
  const n = Math.max(1, s.count);
  const g = s.gradient.map((v, j) => (j === 0 ? v : v - spec.l2 * (w[j] as number)));
  let state = model.training.state;
  let next: number[];
  if (spec.optimiser.kind === 'newton') {
    if (!s.hessian) throw new RangeError('newton round without a hessian block');
    const h = s.hessian.map((row, i) => row.map((v, j) => v + (i === j && i > 0 ? spec.l2 : 0)));
    const noiseEdge = 2 * s.hessianNoiseStd * Math.sqrt(d);
    const floor = Math.max(
      noiseEdge,
      1e-9 * Math.max(1, ...h.map((r, i) => Math.abs(r[i] as number)))
    );
    const step = flooredSolve(h, g, floor);
    next = w.map((v, j) => v + (step[j] as number));
  } else if (spec.optimiser.kind === 'diagonal') {
    if (!s.curvature) throw new RangeError('diagonal round without a curvature block');
    const opt = spec.optimiser;
    const out = diagonalStep({
      weights: w,
      gradient: g,
      curvature: s.curvature,
      count: n,
      curvatureNoiseStd: s.curvatureNoiseStd,
      gradientNoiseStd: s.gradientNoiseStd,
      l2: spec.l2,
      learningRate: opt.learningRate,
      diagonalRate: opt.diagonalRate,
      momentum: opt.momentum,
      velocity: state?.velocity ?? new Array<number>(d).fill(0),
    });
    next = out.weights;
    state = { velocity: out.velocity };
  } else {
    // Heavy ball (Polyak 1964) on the mean log-likelihood: v = momentum v + lr g / n, w += v.
    const opt = spec.optimiser;
    const prev = state?.velocity ?? new Array<number>(d).fill(0);
    const velocity = g.map(
      (v, j) => opt.momentum * (prev[j] as number) + (opt.learningRate * v) / n
    );
    next = w.map((v, j) => v + (velocity[j] as number));
    state = { velocity };
  }
  const updated = withVector(model, next);
  const history = [
    ...model.training.history,
    {
      round: agg.layout.round,
      loss: s.count > 0 ? Math.max(0, s.lossSum) / n : null,
      auc: s.evalPos && s.evalNeg ? aucFromHistograms(s.evalPos, s.evalNeg) : null,
      aucCi95:
        s.evalPos && s.evalNeg
          ? aucInterval(s.evalPos, s.evalNeg, s.evalPosVariance ?? [], s.evalNegVariance ?? [])
          : null,
      count: s.count,
      nodes: agg.nodes.length,
    },
  ];
  return {
    ...updated,
    training: {
      ...model.training,
      roundsDone: model.training.roundsDone + 1,
      nodes: [...new Set([...model.training.nodes, ...agg.nodes])],
      history,
      ...(state ? { state } : {}),
    },
  };
}
