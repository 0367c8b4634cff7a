import { describe, expect, it } from 'vitest';
import { layoutOf, SegmentQuerySchema } from '@fedmark/protocol';
import {
  blockNoiseScale,
  discreteLaplaceParameter,
  discreteLaplaceSampler,
  discreteLaplaceVariance,
  formatScale,
  sampleDiscreteLaplace,
} from './discrete-laplace.ts';

/**
 * Goodness of fit against the exact pmf (docs/privacy.md "How it is checked (tests)"): chi-square
 * over bins with expected count >= 5 (tails merged), rejected above df + 6 sqrt(2 df) (about 6
 * standard deviations of the chi-square law); P[X = 0] by a Wilson score interval at z = 5; E|X|
 * and symmetry likewise at about 5 sigma. A correct sampler fails one of these with probability
 * well under 1e-6.
 */
function drawMany(num: bigint, den: bigint, n: number): Map<number, number> {
  const sample = discreteLaplaceSampler(num, den);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = Number(sample());
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  return counts;
}

interface Fit {
  chi2: number;
  df: number;
  limit: number;
}

function chiSquare(counts: Map<number, number>, a: number, n: number): Fit {
  const p0 = (1 - a) / (1 + a);
  const pmf = (x: number): number => p0 * a ** Math.abs(x);
  // Tail P[X >= m] = a^m / (1 + a) for m >= 1 (and by symmetry for X <= -m).
  const tail = (m: number): number => a ** m / (1 + a);
  let m = 1;
  while (n * tail(m + 1) >= 5) m++;
  // Bins: X <= -m, -m < X < m one per value, X >= m.
  const observed = (pred: (x: number) => boolean): number => {
    let c = 0;
    for (const [x, k] of counts) if (pred(x)) c += k;
    return c;
  };
  const bins: [number, number][] = [[observed((x) => x <= -m), n * tail(m)]];
  for (let x = -m + 1; x < m; x++) bins.push([counts.get(x) ?? 0, n * pmf(x)]);
  bins.push([observed((x) => x >= m), n * tail(m)]);
  const chi2 = bins.reduce((s, [o, e]) => s + (o - e) ** 2 / e, 0);
  const df = bins.length - 1;
  return { chi2, df, limit: df + 6 * Math.sqrt(2 * df) };
}

function wilson(k: number, n: number, z: number): [number, number] {
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [centre - half, centre + half];
}

function checkFit(num: bigint, den: bigint, n: number): void {
  const a = discreteLaplaceParameter(num, den);
  const counts = drawMany(num, den, n);
  const fit = chiSquare(counts, a, n);
  expect(fit.df).toBeGreaterThanOrEqual(4);
  expect(fit.chi2).toBeLessThan(fit.limit);

  const [lo, hi] = wilson(counts.get(0) ?? 0, n, 5);
  const p0 = (1 - a) / (1 + a);
  expect(p0).toBeGreaterThanOrEqual(lo);
  expect(p0).toBeLessThanOrEqual(hi);

  let absSum = 0;
  let pos = 0;
  let neg = 0;
  for (const [x, k] of counts) {
    absSum += Math.abs(x) * k;
    if (x > 0) pos += k;
    if (x < 0) neg += k;
  }
  const meanAbs = (2 * a) / (1 - a * a);
  const varAbs = discreteLaplaceVariance(num, den) - meanAbs * meanAbs;
  expect(Math.abs(absSum / n - meanAbs)).toBeLessThan(5 * Math.sqrt(varAbs / n));
  expect(Math.abs(pos - neg)).toBeLessThan(5 * Math.sqrt(pos + neg));
}

describe('sampleDiscreteLaplace: goodness of fit against the exact pmf', () => {
  it('scale t = 2 (epsilon 0.5, sensitivity 1), 200k draws', () => {
    checkFit(2n, 1n, 200_000);
  });

  it('epsilon 0.5 and sensitivity 1 through a real layout block gives t = 2', () => {
    const q = SegmentQuerySchema.parse({
      version: 1,
      kind: 'segment_stats',
      purpose: 'analytics',
      asOf: '2026-11-01',
      epsilon: 1,
    });
    const count = layoutOf(q).blocks[0];
    if (!count) throw new Error('layout has no count block');
    const s = blockNoiseScale(count);
    expect(formatScale(s)).toBe('1000000/500000');
    checkFit(s.num, s.den, 100_000);
  });

  it('non-integer scale t = 10/3 (epsilon 0.3), 100k draws', () => {
    checkFit(10n, 3n, 100_000);
  });

  it('bigint path: t = 3.000000000001 (numerator above 2^32), 40k draws', () => {
    checkFit(3_000_000_000_001n, 1_000_000_000_000n, 40_000);
  });

  it('a wrong pmf is rejected by the same test (the fit can fail)', () => {
    // Draws at t = 2.4 judged against t = 2: the chi-square must blow far past its limit.
    const counts = drawMany(12n, 5n, 100_000);
    const fit = chiSquare(counts, discreteLaplaceParameter(2n, 1n), 100_000);
    expect(fit.chi2).toBeGreaterThan(fit.limit * 5);
  });

  it('large scale t = 10^4: mean absolute value within 5 sigma of 2a/(1-a^2)', () => {
    const sample = discreteLaplaceSampler(10_000n, 1n);
    const n = 50_000;
    let abs = 0;
    for (let i = 0; i < n; i++) abs += Math.abs(Number(sample()));
    const a = discreteLaplaceParameter(10_000n, 1n);
    const meanAbs = (2 * a) / (1 - a * a);
    const sd = Math.sqrt(discreteLaplaceVariance(10_000n, 1n) - meanAbs * meanAbs);
    expect(Math.abs(abs / n - meanAbs)).toBeLessThan((5 * sd) / Math.sqrt(n));
  });
});

describe('discrete Laplace helpers', () => {
  it('variance is 2a/(1-a)^2: about 2/epsilon^2 (std 2.8 at epsilon 0.5)', () => {
    const a = Math.exp(-0.5);
    expect(discreteLaplaceVariance(2n, 1n)).toBeCloseTo((2 * a) / (1 - a) ** 2, 12);
    expect(Math.sqrt(discreteLaplaceVariance(2n, 1n))).toBeCloseTo(2.7992, 4);
    expect(discreteLaplaceParameter(1n, 1n)).toBeCloseTo(Math.exp(-1), 15);
  });

  it('blockNoiseScale is sensitivity * 10^6 / epsilonMicro exactly', () => {
    const block = {
      name: 'sum:amount',
      kind: 'sum' as const,
      offset: 0,
      length: 3,
      scale: 100,
      sensitivity: 50_000n,
      epsilonMicro: 333_333,
    };
    expect(blockNoiseScale(block)).toEqual({ num: 50_000_000_000n, den: 333_333n });
    expect(() => blockNoiseScale({ ...block, epsilonMicro: 0 })).toThrow(RangeError);
  });

  it('refuses a non-positive scale with a RangeError', () => {
    expect(() => sampleDiscreteLaplace(0n, 1n)).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(1n, 0n)).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(-2n, 1n)).toThrow(/scale expected > 0/);
  });

  it('returns bigints, including values beyond 2^53 at huge scales', () => {
    const sample = discreteLaplaceSampler(10n ** 30n, 1n);
    let big = 0;
    for (let i = 0; i < 20; i++) {
      const x = sample();
      expect(typeof x).toBe('bigint');
      if (x > 2n ** 53n || x < -(2n ** 53n)) big++;
    }
    // |X| < 2^53 has probability about 2^53/10^30 per draw: essentially all 20 must exceed it.
    expect(big).toBeGreaterThanOrEqual(19);
  });
});
