import { describe, expect, it } from 'vitest';
import { discreteGaussianPmf, discreteGaussianSampler, isqrt } from './discrete-gaussian.ts';
import {
  chiSquareFit,
  drawCounts,
  symmetricPmf,
  tally,
  varianceZ,
  wilson,
  type SymmetricPmf,
} from './_fit-testing.ts';

/**
 * Goodness of fit of the exact discrete Gaussian sampler against its pmf, as strong as the
 * discrete Laplace tests (discrete-laplace.test.ts): chi-square over bins with expected count >= 5
 * (tails merged) rejected above df + 6 sqrt(2 df), P[X = 0] inside a Wilson interval at z = 5,
 * the variance within 5 standard errors, symmetry; and the same test failing a wrong variance.
 */

/** The exact pmf of N_Z(0, sigma2) on +-(12 sigma + 5). */
function gaussianPmf(sigma2: number): SymmetricPmf {
  const bound = Math.ceil(12 * Math.sqrt(sigma2)) + 5;
  const pmf = discreteGaussianPmf(sigma2, bound);
  return symmetricPmf((x) => pmf.get(x) ?? 0, bound);
}

/** The fit merges the tails from the last value expecting >= 5 draws ('value' in _fit-testing.ts). */
const CUT = { cut: 'value' } as const;

function checkFit(num: bigint, den: bigint, n: number): void {
  const sigma2 = Number(num) / Number(den);
  const counts = drawCounts(discreteGaussianSampler(num, den), n);
  const pmf = gaussianPmf(sigma2);
  const fit = chiSquareFit(counts, pmf, n, CUT);
  expect(fit.df).toBeGreaterThanOrEqual(4);
  expect(fit.chi2).toBeLessThan(fit.limit);
  const [lo, hi] = wilson(counts.get(0) ?? 0, n, 5);
  expect(pmf.at(0)).toBeGreaterThanOrEqual(lo);
  expect(pmf.at(0)).toBeLessThanOrEqual(hi);
  const { meanSquare, positive, negative } = tally(counts);
  // Var[X^2] for a near-Gaussian: about 2 sigma^4.
  const moments = { variance: sigma2, varOfSquare: 2 * sigma2 * sigma2 + 1 };
  expect(Math.abs(varianceZ(meanSquare, moments, n))).toBeLessThan(5);
  expect(Math.abs(positive - negative)).toBeLessThan(5 * Math.sqrt(positive + negative));
}

describe('discrete Gaussian sampler (CKS20 Algorithm 3)', () => {
  it('sigma^2 = 1, 150k draws', () => checkFit(1n, 1n, 150_000));
  it('non-integer sigma^2 = 10/3, 100k draws', () => checkFit(10n, 3n, 100_000));
  it('sigma^2 = 400 (sigma 20), 60k draws', () => checkFit(400n, 1n, 60_000));
  it('sigma^2 below one, 2/5, 100k draws', () => checkFit(2n, 5n, 100_000));

  it('a wrong variance is rejected by the same test (the fit can fail)', () => {
    const counts = drawCounts(discreteGaussianSampler(3n, 1n), 80_000);
    const fit = chiSquareFit(counts, gaussianPmf(2), 80_000, CUT);
    expect(fit.chi2).toBeGreaterThan(fit.limit * 5);
  });

  it('large variance (sigma 10^6): the variance of 20k draws within 5 standard errors', () => {
    const n = 20_000;
    const { meanSquare } = tally(drawCounts(discreteGaussianSampler(10n ** 12n, 1n), n));
    // Var[X^2] = 2 sigma^4 for a Gaussian.
    const moments = { variance: 1e12, varOfSquare: 2e24 };
    expect(Math.abs(varianceZ(meanSquare, moments, n))).toBeLessThan(5);
  });

  it('refuses a non-positive variance', () => {
    expect(() => discreteGaussianSampler(0n, 1n)).toThrow(RangeError);
    expect(() => discreteGaussianSampler(1n, 0n)).toThrow(RangeError);
  });

  it('isqrt is the exact integer square root', () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 30n, 10n ** 30n - 1n])
      expect(isqrt(n) ** 2n <= n && (isqrt(n) + 1n) ** 2n > n).toBe(true);
  });
});
