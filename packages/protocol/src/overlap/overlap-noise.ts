import { MICRO } from '../schemas/common.ts';

/**
 * The noise of an overlap figure (docs/overlap.md "Noise through dummies"). The responder adds
 * n = K + L matching dummies, L drawn from the discrete Laplace with parameter e^-epsilon
 * conditioned on |L| <= K (so 0 <= n <= 2K and the initiator, which includes all 2K dummies,
 * matches exactly n of them); the initiator publishes count - K = |X ∩ Y| + L.
 *
 * Truncation makes the figure (epsilon, delta)-DP rather than pure: for neighbouring data sets
 * (the count moves by 1) every output has probability within e^epsilon except the one value at
 * the edge of the support, of probability p(K) = q^K / Z with q = e^-epsilon and
 * Z = sum_{|k| <= K} q^|k|. K is the smallest bound with p(K) <= OVERLAP_TRUNCATION_DELTA.
 */
export const OVERLAP_TRUNCATION_DELTA = 1e-10;

function q(epsilonMicro: number): number {
  if (!Number.isSafeInteger(epsilonMicro) || epsilonMicro < 1)
    throw new RangeError(`"epsilonMicro" expected a positive integer, got ${epsilonMicro}`);
  return Math.exp(-epsilonMicro / MICRO);
}

/** Z = sum over |k| <= bound of q^|k|. */
function normaliser(qv: number, bound: number): number {
  return 1 + (2 * qv * (1 - qv ** bound)) / (1 - qv);
}

/** delta of the truncated discrete Laplace on [-bound, bound]: the mass of one edge value. */
export function overlapNoiseDelta(epsilonMicro: number, bound: number): number {
  const qv = q(epsilonMicro);
  return qv ** bound / normaliser(qv, bound);
}

/** Largest truncation bound accepted: epsilon 0.01 needs about 2,300. */
export const OVERLAP_MAX_BOUND = 100_000;

/** Smallest K whose delta is at most OVERLAP_TRUNCATION_DELTA. */
export function overlapNoiseBound(epsilonMicro: number): number {
  const qv = q(epsilonMicro);
  // q^K / Z <= d with Z >= 1 holds once K >= ln(d) / ln(q); step down while it still holds.
  let k = Math.min(OVERLAP_MAX_BOUND, Math.ceil(Math.log(OVERLAP_TRUNCATION_DELTA) / Math.log(qv)));
  while (k > 1 && overlapNoiseDelta(epsilonMicro, k - 1) <= OVERLAP_TRUNCATION_DELTA) k--;
  if (overlapNoiseDelta(epsilonMicro, k) > OVERLAP_TRUNCATION_DELTA)
    throw new RangeError(`epsilon ${epsilonMicro / MICRO} is too small for an overlap figure`);
  return k;
}

/** P(L = k) for |k| <= bound. */
function pmf(epsilonMicro: number, bound: number): number[] {
  const qv = q(epsilonMicro);
  const z = normaliser(qv, bound);
  return Array.from({ length: bound + 1 }, (_, k) => qv ** k / z);
}

/** Variance of L (its mean is 0). */
export function overlapNoiseVariance(epsilonMicro: number, bound: number): number {
  return pmf(epsilonMicro, bound).reduce((s, p, k) => s + (k === 0 ? 0 : 2 * k * k * p), 0);
}

/** Smallest m with P(|L| <= m) >= level: [raw - m, raw + m] covers the true count with that probability. */
export function overlapNoiseHalfWidth(epsilonMicro: number, bound: number, level = 0.95): number {
  const p = pmf(epsilonMicro, bound);
  let mass = p[0] as number;
  let m = 0;
  while (mass < level && m < bound) {
    m++;
    mass += 2 * (p[m] as number);
  }
  return m;
}
