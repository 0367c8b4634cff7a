import { describe, expect, it } from 'vitest';
import { discreteGaussianPmf, discreteGaussianSampler, isqrt } from './discrete-gaussian.ts';

/**
 * Goodness of fit of the exact discrete Gaussian sampler against its pmf, as strong as the
 * discrete Laplace tests (discrete-laplace.test.ts): chi-square over bins with expected count >= 5
 * (tails merged) rejected above df + 6 sqrt(2 df), P[X = 0] inside a Wilson interval at z = 5,
 * the variance within 5 standard errors, symmetry; and the same test failing a wrong variance.
 */
function draw(num: bigint, den: bigint, n: number): Map<number, number> {
  const sample = discreteGaussianSampler(num, den);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = Number(sample());
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  return counts;
}

function chiSquare(counts: Map<number, number>, sigma2: number, n: number) {
  const bound = Math.ceil(12 * Math.sqrt(sigma2)) + 5;
  const pmf = discreteGaussianPmf(sigma2, bound);
  let m = 0;
  while (n * (pmf.get(m + 1) ?? 0) >= 5) m++;
  const tail = [...pmf].filter(([x]) => x >= m).reduce((s, [, p]) => s + p, 0);
  const observed = (pred: (x: number) => boolean) =>
    [...counts].filter(([x]) => pred(x)).reduce((s, [, k]) => s + k, 0);
  const bins: [number, number][] = [[observed((x) => x <= -m), n * tail]];
  for (let x = -m + 1; x < m; x++) bins.push([counts.get(x) ?? 0, n * (pmf.get(x) ?? 0)]);
  bins.push([observed((x) => x >= m), n * tail]);
  const chi2 = bins.reduce((s, [o, e]) => s + (o - e) ** 2 / e, 0);
  const df = bins.length - 1;
  return { chi2, df, limit: df + 6 * Math.sqrt(2 * df), pmf };
}

function wilson(k: number, n: number, z: number): [number, number] {
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [centre - half, centre + half];
}

function checkFit(num: bigint, den: bigint, n: number): void {
  const sigma2 = Number(num) / Number(den);
  const counts = draw(num, den, n);
  const fit = chiSquare(counts, sigma2, n);
  expect(fit.df).toBeGreaterThanOrEqual(4);
  expect(fit.chi2).toBeLessThan(fit.limit);
  const [lo, hi] = wilson(counts.get(0) ?? 0, n, 5);
  const p0 = fit.pmf.get(0) as number;
  expect(p0).toBeGreaterThanOrEqual(lo);
  expect(p0).toBeLessThanOrEqual(hi);
  let sq = 0;
  let pos = 0;
  let neg = 0;
  for (const [x, k] of counts) {
    sq += x * x * k;
    if (x > 0) pos += k;
    if (x < 0) neg += k;
  }
  // Var[X^2] for a near-Gaussian: about 2 sigma^4.
  expect(Math.abs(sq / n - sigma2)).toBeLessThan(5 * Math.sqrt((2 * sigma2 * sigma2 + 1) / n));
  expect(Math.abs(pos - neg)).toBeLessThan(5 * Math.sqrt(pos + neg));
}

describe('discrete Gaussian sampler (CKS20 Algorithm 3)', () => {
  it('sigma^2 = 1, 150k draws', () => checkFit(1n, 1n, 150_000));
  it('non-integer sigma^2 = 10/3, 100k draws', () => checkFit(10n, 3n, 100_000));
  it('sigma^2 = 400 (sigma 20), 60k draws', () => checkFit(400n, 1n, 60_000));
  it('sigma^2 below one, 2/5, 100k draws', () => checkFit(2n, 5n, 100_000));

  it('a wrong variance is rejected by the same test (the fit can fail)', () => {
    const counts = draw(3n, 1n, 80_000);
    const fit = chiSquare(counts, 2, 80_000);
    expect(fit.chi2).toBeGreaterThan(fit.limit * 5);
  });

  it('large variance (sigma 10^6): the variance of 20k draws within 5 standard errors', () => {
    const sample = discreteGaussianSampler(10n ** 12n, 1n);
    const n = 20_000;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += Number(sample()) ** 2;
    expect(Math.abs(sq / n / 1e12 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
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
