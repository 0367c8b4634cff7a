import { describe, expect, it } from 'vitest';
import {
  composeRho,
  distributedGaussianRho,
  distributedGaussianSigma2,
  gaussianRho,
  gaussianStdForRounds,
  pureEpsilonRho,
  rho,
  rhoAtMost,
  rhoForEpsilon,
  rhoToNumber,
  zcdpEpsilon,
} from './zcdp.ts';

/** Upper tail of the standard normal by Simpson's rule (reference computation, tests only). */
function normalTail(x: number): number {
  const steps = 20_000;
  const hi = x + 14;
  const h = (hi - x) / steps;
  const phi = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let s = phi(x) + phi(hi);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * phi(x + i * h);
  return (s * h) / 3;
}

/**
 * The exact (epsilon, delta) curve of the Gaussian mechanism with sensitivity 1 and std sigma
 * (Balle and Wang 2018, Theorem 8): delta(eps) = Q(eps sigma - 1/(2 sigma)) - e^eps Q(eps sigma + 1/(2 sigma)).
 * Any rho-zCDP conversion must give an epsilon at least this one.
 */
function exactGaussianEpsilon(sigma: number, delta: number): number {
  const d = (eps: number) =>
    normalTail(eps * sigma - 1 / (2 * sigma)) -
    Math.exp(eps) * normalTail(eps * sigma + 1 / (2 * sigma));
  let lo = 0;
  let hi = 50;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (d(mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

describe('zCDP accounting', () => {
  it('composes exactly: ten Gaussian releases at sigma^2 = 100, sensitivity 1, are 1/20-zCDP', () => {
    const one = gaussianRho(rho(1n, 1n), rho(100n, 1n));
    expect(one).toEqual({ num: 1n, den: 200n });
    const ten = composeRho(...Array.from({ length: 10 }, () => one));
    expect(ten).toEqual({ num: 1n, den: 20n });
    expect(rhoAtMost(ten, rho(1n, 20n))).toBe(true);
    expect(rhoAtMost(composeRho(ten, rho(1n, 10n ** 18n)), rho(1n, 20n))).toBe(false);
    expect(pureEpsilonRho(500_000)).toEqual({ num: 1n, den: 8n });
  });

  it('reproduces the published figures: epsilon 1, delta 1e-6 gives std 14.3 C at 10 rounds and 32.0 C at 50', () => {
    expect(rhoForEpsilon(1, 1e-6)).toBeCloseTo(0.0244, 3);
    const std = (rounds: number) =>
      gaussianStdForRounds({ rounds, epsilon: 1, delta: 1e-6, sensitivity: 1 });
    expect(std(10)).toBeCloseTo(14.3, 1);
    expect(std(50)).toBeCloseTo(32.0, 1);
  });

  it('converts to (epsilon, delta) between the exact Gaussian curve and the textbook bound', () => {
    for (const sigma of [0.8, 2, 5, 20]) {
      for (const delta of [1e-5, 1e-6, 1e-9]) {
        const r = 1 / (2 * sigma * sigma);
        const tight = zcdpEpsilon(r, delta);
        const exact = exactGaussianEpsilon(sigma, delta);
        const textbook = r + 2 * Math.sqrt(r * Math.log(1 / delta));
        expect(tight).toBeGreaterThanOrEqual(exact * (1 - 1e-6));
        expect(tight).toBeLessThanOrEqual(textbook);
        expect(tight / exact).toBeLessThan(1.3);
      }
    }
    expect(zcdpEpsilon(0, 1e-6)).toBe(0);
    expect(() => zcdpEpsilon(0.1, 0)).toThrow(RangeError);
  });

  it('accounts the distributed discrete Gaussian as the central one plus a term that vanishes', () => {
    const central = 1 / (2 * 4);
    const at = (s2: number, n: number) =>
      distributedGaussianRho({ sens2: 1, sigma2PerNode: s2, minContributors: n, dims: 40 });
    expect(at(4, 1)).toBe(central);
    // Shares of variance 4/5 at 5 contributors: close to the central 4, not equal.
    expect(at(4 / 5, 5)).toBeGreaterThan(central);
    expect(at(4 / 5, 5)).toBeLessThan(central * 1.15);
    // Shares of variance 4 and more: the correction is negligible.
    expect(at(40 / 10, 10) / (1 / (2 * 40))).toBeLessThan(1 + 1e-12);
    // Tiny shares: far from a discrete Gaussian, and the bound says so.
    expect(at(0.01, 10)).toBeGreaterThan(1 / (2 * 0.1) + 1);
  });

  it('calibrates shares to a target rho, never below it; scaling the values up makes shares exact enough', () => {
    const total = (n: number, scale: number) => {
      const s2 = distributedGaussianSigma2({
        targetRho: 0.125,
        sens2: scale * scale,
        minContributors: n,
        dims: 40,
      });
      const got = distributedGaussianRho({
        sens2: scale * scale,
        sigma2PerNode: s2,
        minContributors: n,
        dims: 40,
      });
      expect(got).toBeLessThanOrEqual(0.125);
      expect(got).toBeGreaterThan(0.125 * 0.999);
      // Variance of the sum in the original units, against the central discrete Gaussian's 4.
      return (n * s2) / (scale * scale) / 4;
    };
    // A count of sensitivity 1 split into 10 shares of variance 0.4: the sum is not a discrete
    // Gaussian and costs 65% more noise; counted in units of 1/8 (sensitivity 8) it costs nothing.
    expect(total(10, 1)).toBeGreaterThan(1.5);
    for (const n of [2, 3, 5, 10]) {
      expect(total(n, 8)).toBeGreaterThanOrEqual(1);
      expect(total(n, 8)).toBeLessThan(1.001);
    }
    expect(rhoToNumber(rho(3n, 4n))).toBe(0.75);
  });
});
