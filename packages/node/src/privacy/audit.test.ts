import { describe, expect, it } from 'vitest';
import { clopperPearson } from './audit.ts';
import { inverseRegularizedBeta, logGamma, regularizedBeta } from './_beta.ts';

describe('Clopper-Pearson bounds', () => {
  it('match the textbook two-sided 95% intervals (alpha 0.025 each side)', () => {
    // Clopper & Pearson (1934); tabulated e.g. in Agresti & Coull (1998): 5/10 -> [0.1871, 0.8129].
    const half = clopperPearson(5, 10, 0.025);
    expect(half.lower).toBeCloseTo(0.187086, 5);
    expect(half.upper).toBeCloseTo(0.812914, 5);
    const one = clopperPearson(1, 10, 0.025);
    expect(one.lower).toBeCloseTo(0.0025285, 6);
    expect(one.upper).toBeCloseTo(0.445016, 5);
  });

  it('has the closed forms at k = 0 and k = n', () => {
    const n = 100_000;
    const alpha = 1e-8;
    expect(clopperPearson(0, n, alpha).lower).toBe(0);
    expect(clopperPearson(0, n, alpha).upper).toBeCloseTo(1 - alpha ** (1 / n), 12);
    expect(clopperPearson(n, n, alpha).lower).toBeCloseTo(alpha ** (1 / n), 12);
    expect(clopperPearson(n, n, alpha).upper).toBe(1);
  });

  it('brackets the estimate and tightens with n', () => {
    const small = clopperPearson(270, 1000, 1e-6);
    const large = clopperPearson(27_000, 100_000, 1e-6);
    expect(small.lower).toBeLessThan(0.27);
    expect(small.upper).toBeGreaterThan(0.27);
    expect(large.upper - large.lower).toBeLessThan((small.upper - small.lower) / 5);
  });

  it('refuses impossible counts', () => {
    expect(() => clopperPearson(11, 10, 0.05)).toThrow(RangeError);
    expect(() => clopperPearson(1, 10, 0)).toThrow(/alpha/);
  });
});

describe('incomplete beta helpers', () => {
  it('logGamma matches ln((n-1)!) and Gamma(1/2) = sqrt(pi)', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('I_x(1, b) = 1 - (1-x)^b and the inverse round-trips', () => {
    expect(regularizedBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 12);
    expect(regularizedBeta(0.3, 2, 2)).toBeCloseTo(3 * 0.09 - 2 * 0.027, 12);
    const x = inverseRegularizedBeta(1e-7, 300, 900);
    expect(regularizedBeta(x, 300, 900)).toBeCloseTo(1e-7, 15);
  });
});
