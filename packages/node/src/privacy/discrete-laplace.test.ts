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
import {
  chiSquareFit,
  drawCounts,
  meanZ,
  tally,
  wilson,
  type SymmetricPmf,
} from './_fit-testing.ts';

/**
 * Goodness of fit against the exact pmf (docs/privacy.md "How it is checked (tests)"): chi-square
 * over bins with expected count >= 5 (tails merged), rejected above df + 6 sqrt(2 df) (about 6
 * standard deviations of the chi-square law); P[X = 0] by a Wilson score interval at z = 5; E|X|
 * and symmetry likewise at about 5 sigma. A correct sampler fails one of these with probability
 * well under 1e-6.
 */
function laplacePmf(a: number): SymmetricPmf {
  const p0 = (1 - a) / (1 + a);
  // Tail P[X >= m] = a^m / (1 + a) for m >= 1 (and by symmetry for X <= -m).
  return { at: (x) => p0 * a ** Math.abs(x), tail: (m) => a ** m / (1 + a) };
}

/** The fit merges the tails where they expect >= 5 draws ('tails' in _fit-testing.ts). */
const CUT = { cut: 'tails' } as const;

/** Mean and variance of |X|: E|X| = 2a / (1 - a^2), E[X^2] the sampler's variance. */
function absMoments(num: bigint, den: bigint): { mean: number; variance: number } {
  const a = discreteLaplaceParameter(num, den);
  const mean = (2 * a) / (1 - a * a);
  return { mean, variance: discreteLaplaceVariance(num, den) - mean * mean };
}

function checkFit(num: bigint, den: bigint, n: number): void {
  const pmf = laplacePmf(discreteLaplaceParameter(num, den));
  const counts = drawCounts(discreteLaplaceSampler(num, den), n);
  const fit = chiSquareFit(counts, pmf, n, CUT);
  expect(fit.df).toBeGreaterThanOrEqual(4);
  expect(fit.chi2).toBeLessThan(fit.limit);

  const [lo, hi] = wilson(counts.get(0) ?? 0, n, 5);
  expect(pmf.at(0)).toBeGreaterThanOrEqual(lo);
  expect(pmf.at(0)).toBeLessThanOrEqual(hi);

  const { meanAbs, positive, negative } = tally(counts);
  const abs = absMoments(num, den);
  expect(Math.abs(meanZ(meanAbs, abs.mean, abs.variance, n))).toBeLessThan(5);
  expect(Math.abs(positive - negative)).toBeLessThan(5 * Math.sqrt(positive + negative));
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
    const counts = drawCounts(discreteLaplaceSampler(12n, 5n), 100_000);
    const fit = chiSquareFit(counts, laplacePmf(discreteLaplaceParameter(2n, 1n)), 100_000, CUT);
    expect(fit.chi2).toBeGreaterThan(fit.limit * 5);
  });

  it('large scale t = 10^4: mean absolute value within 5 sigma of 2a/(1-a^2)', () => {
    const n = 50_000;
    const { meanAbs } = tally(drawCounts(discreteLaplaceSampler(10_000n, 1n), n));
    const abs = absMoments(10_000n, 1n);
    expect(Math.abs(meanZ(meanAbs, abs.mean, abs.variance, n))).toBeLessThan(5);
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
