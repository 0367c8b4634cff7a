/**
 * Internal test helper: the statistics the noise samplers' fit tests share (docs/privacy.md "How
 * it is checked (tests)"): draw a histogram, a chi-square over bins with the tails merged, a
 * Wilson score interval, and z-scores of a sample mean or variance. Each function only computes;
 * the tests make the assertions, so each test's thresholds stay where it states them.
 */

/** A histogram: value -> how many draws gave it. */
export type Counts = Map<number, number>;

/** The histogram of `n` draws of `sample`. */
export function drawCounts(sample: () => bigint | number, n: number): Counts {
  const counts: Counts = new Map();
  for (let i = 0; i < n; i++) {
    const x = Number(sample());
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  return counts;
}

/** The histogram of values already drawn. */
export function histogram(xs: Iterable<number>): Counts {
  const counts: Counts = new Map();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return counts;
}

/** What the fit tests read off a histogram: its size, E|X| and E[X^2], and the draws each side of 0. */
export interface Tally {
  draws: number;
  meanAbs: number;
  meanSquare: number;
  positive: number;
  negative: number;
}

export function tally(counts: Counts): Tally {
  let draws = 0;
  let absSum = 0;
  let sq = 0;
  let positive = 0;
  let negative = 0;
  for (const [x, k] of counts) {
    draws += k;
    absSum += Math.abs(x) * k;
    sq += x * x * k;
    if (x > 0) positive += k;
    if (x < 0) negative += k;
  }
  return { draws, meanAbs: absSum / draws, meanSquare: sq / draws, positive, negative };
}

/** A pmf on the integers, symmetric about 0, as chiSquareFit reads it. */
export interface SymmetricPmf {
  /** P[X = x], for any integer x (0 outside the support). */
  at(x: number): number;
  /** P[X >= m] (= P[X <= -m]) for m >= 1. */
  tail(m: number): number;
}

/** A SymmetricPmf from P[X = x] on -bound..bound (0 beyond), its tails summed from the far end in. */
export function symmetricPmf(at: (x: number) => number, bound: number): SymmetricPmf {
  const tails = new Float64Array(bound + 2);
  for (let x = bound; x >= 0; x--) tails[x] = (tails[x + 1] as number) + at(x);
  return { at, tail: (m) => (m <= bound ? (tails[m] as number) : 0) };
}

/**
 * Where the tails are merged: the bins are X <= -m, one per value -m < x < m, and X >= m, with m
 * (at least 1) the largest such that
 * - 'bins': every bin expects >= 5 draws (the rule docs/privacy.md states);
 * - 'tails': the two merged tails expect >= 5 (the value bins next to them may expect a little less);
 * - 'value': n P[X = m] >= 5 (every bin then expects >= 5; at a wide pmf a bin a side fewer than 'bins').
 */
export type TailCut = 'bins' | 'tails' | 'value';

export interface Fit {
  chi2: number;
  /** Degrees of freedom: the number of bins less one. */
  df: number;
  /** The rejection limit df + 6 sqrt(2 df): about 6 standard deviations of the chi-square law. */
  limit: number;
}

/**
 * Pearson's chi-square of `counts` (n draws) against `pmf`, over the bins `cut` chooses. A correct
 * sampler exceeds `limit` with probability well under 1e-6.
 */
export function chiSquareFit(
  counts: Counts,
  pmf: SymmetricPmf,
  n: number,
  { cut = 'bins' }: { cut?: TailCut } = {}
): Fit {
  const widen: Record<TailCut, (m: number) => boolean> = {
    bins: (m) => n * pmf.at(m) >= 5 && n * pmf.tail(m + 1) >= 5,
    tails: (m) => n * pmf.tail(m + 1) >= 5,
    value: (m) => n * pmf.at(m + 1) >= 5,
  };
  let m = 1;
  while (widen[cut](m)) m++;
  let low = 0;
  let high = 0;
  for (const [x, k] of counts) {
    if (x <= -m) low += k;
    if (x >= m) high += k;
  }
  const bins: [number, number][] = [[low, n * pmf.tail(m)]];
  for (let x = -m + 1; x < m; x++) bins.push([counts.get(x) ?? 0, n * pmf.at(x)]);
  bins.push([high, n * pmf.tail(m)]);
  const chi2 = bins.reduce((s, [o, e]) => s + (o - e) ** 2 / e, 0);
  const df = bins.length - 1;
  return { chi2, df, limit: df + 6 * Math.sqrt(2 * df) };
}

/** The Wilson score interval [lo, hi] for a probability seen k times in n trials, at z standard deviations. */
export function wilson(k: number, n: number, z: number): [number, number] {
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [centre - half, centre + half];
}

/** The z-score of the mean `observed` of n independent draws whose law has `mean` and `variance`. */
export function meanZ(observed: number, mean: number, variance: number, n: number): number {
  return (observed - mean) / Math.sqrt(variance / n);
}

/** The variance of a law with mean 0, and the variance of its square (which sets the estimate's error). */
export interface Moments {
  variance: number;
  varOfSquare: number;
}

/**
 * The z-score of a sample variance: `meanSquare`, the mean of X^2 over n draws of a mean-0 law,
 * against its exact `variance`, whose standard error is sqrt(varOfSquare / n).
 */
export function varianceZ(
  meanSquare: number,
  { variance, varOfSquare }: Moments,
  n: number
): number {
  return meanZ(meanSquare, variance, varOfSquare, n);
}
