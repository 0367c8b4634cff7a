import { describe, expect, it } from 'vitest';
import { secaggThreshold } from '@fedmark/protocol';
import { discreteLaplaceParameter, discreteLaplaceVariance } from './discrete-laplace.ts';
import { polyaShareSampler } from './polya.ts';
import {
  chiSquareFit,
  drawCounts,
  symmetricPmf,
  tally,
  varianceZ,
  wilson,
  type Counts,
  type Moments,
  type SymmetricPmf,
} from './_fit-testing.ts';

/**
 * Goodness of fit of the Polya shares (polya.ts) against exact pmfs, in the style of
 * discrete-laplace.test.ts: chi-square over bins with expected count >= 5 (tails merged),
 * rejected above df + 6 sqrt(2 df); P[X = 0] inside a Wilson interval at z = 5; the variance
 * within 5 standard errors (from the exact fourth moment). A correct sampler fails one check with
 * probability well under 1e-6.
 *
 * The exact pmfs: X ~ NegativeBinomial(r, a) has P[k] = Gamma(k + r) / (k! Gamma(r)) (1 - a)^r a^k,
 * computed by the recursion P[k] = P[k - 1] (k - 1 + r) / k a (the product form of the log-sum of
 * log((j - 1 + r) / j)); a share X - Y, X and Y independent, has P[d] = sum_k P[k] P[k + |d|].
 * A sum of m shares of a `shares`-way split is X - Y with X, Y ~ NB(m / shares, a): shares = m
 * gives NB(1, a) = Geometric(a), and Geometric - Geometric is the central discrete Laplace
 * (1 - a) / (1 + a) a^|x|.
 */

/** Support cut-off of the exact pmfs: a^K is below 1e-100 for every a used here (a <= e^-0.5). */
const K = 600;

function negativeBinomialPmf(r: number, a: number, k: number): Float64Array {
  const p = new Float64Array(k);
  p[0] = (1 - a) ** r;
  for (let j = 1; j < k; j++) p[j] = ((p[j - 1] as number) * (j - 1 + r) * a) / j;
  return p;
}

/** pmf of X - Y, X and Y independent NB(r, a), at |d| = 0 .. K - 1 (symmetric). */
function shareDifferencePmf(r: number, a: number): Float64Array {
  const p = negativeBinomialPmf(r, a, 2 * K);
  const q = new Float64Array(K);
  for (let d = 0; d < K; d++) {
    let s = 0;
    for (let k = 0; k + d < 2 * K; k++) s += (p[k] as number) * (p[k + d] as number);
    q[d] = s;
  }
  return q;
}

/** The central discrete Laplace pmf at |x| = 0 .. K - 1, from its closed form. */
function laplacePmf(a: number): Float64Array {
  const q = new Float64Array(K);
  for (let x = 0; x < K; x++) q[x] = ((1 - a) / (1 + a)) * a ** x;
  return q;
}

/**
 * Exact variance and Var[Z^2] of Z = X - Y, X, Y ~ NB(r, a), from the NB cumulants
 * kappa2 = r a / (1 - a)^2 and kappa4 = r a (1 + 4a + a^2) / (1 - a)^4 (odd cumulants cancel in the
 * difference, even ones double): E[Z^4] = kappa4(Z) + 3 kappa2(Z)^2. `oneMinusA` as -expm1(-1/t)
 * keeps precision at large scales.
 */
function differenceMoments(r: number, a: number, oneMinusA = 1 - a): Moments {
  const k2 = (2 * r * a) / oneMinusA ** 2;
  const k4 = (2 * r * a * (1 + 4 * a + a * a)) / oneMinusA ** 4;
  return { variance: k2, varOfSquare: k4 + 2 * k2 * k2 };
}

/** The histogram of n sums of `terms` draws of `sample`. */
function sumsOf(sample: () => bigint, terms: number, n: number): Counts {
  return drawCounts(() => {
    let x = 0n;
    for (let j = 0; j < terms; j++) x += sample();
    return x;
  }, n);
}

/** The fit's view of a symmetric pmf q[|x|] (every bin expecting >= 5: 'bins' in _fit-testing.ts). */
const fitPmf = (q: Float64Array): SymmetricPmf => symmetricPmf((x) => q[Math.abs(x)] ?? 0, K - 1);

/** Chi-square, Wilson P[0], variance (5 SE) and symmetry of `counts` against Z = X - Y, X, Y ~ NB(r, a). */
function checkFit(counts: Counts, q: Float64Array, r: number, a: number, n: number) {
  const fit = chiSquareFit(counts, fitPmf(q), n);
  expect(fit.df).toBeGreaterThanOrEqual(4);
  expect(fit.chi2).toBeLessThan(fit.limit);
  const [lo, hi] = wilson(counts.get(0) ?? 0, n, 5);
  expect(q[0]).toBeGreaterThanOrEqual(lo);
  expect(q[0]).toBeLessThanOrEqual(hi);
  const { meanSquare, positive, negative } = tally(counts);
  const moments = differenceMoments(r, a);
  const z = varianceZ(meanSquare, moments, n);
  expect(Math.abs(z)).toBeLessThan(5);
  expect(Math.abs(positive - negative)).toBeLessThan(5 * Math.sqrt(positive + negative));
  return { ...fit, varianceZ: z, variance: meanSquare, expectedVariance: moments.variance };
}

/** Scale t = 2: epsilon 0.5 on a count (sensitivity 1), as a statistics query's count block. */
const T_NUM = 2n;
const T_DEN = 1n;
const A = discreteLaplaceParameter(T_NUM, T_DEN);

describe('exact pmfs used by the fit tests', () => {
  it('r = 1 reproduces the closed-form discrete Laplace; the share pmfs have mass 1', () => {
    const viaConvolution = shareDifferencePmf(1, A);
    const closed = laplacePmf(A);
    for (let x = 0; x < 60; x++)
      expect(Math.abs((viaConvolution[x] as number) - (closed[x] as number))).toBeLessThan(1e-15);
    for (const r of [1 / 10, 1 / 3, 2 / 3, 5 / 3]) {
      const q = shareDifferencePmf(r, A);
      let mass = q[0] as number;
      for (let x = 1; x < K; x++) mass += 2 * (q[x] as number);
      expect(Math.abs(mass - 1)).toBeLessThan(1e-12);
    }
  });
});

describe('one Polya share fits its exact pmf (X - Y, X, Y ~ NegativeBinomial(1/T, a))', () => {
  for (const shares of [3, 10]) {
    it(`shares = ${shares}, t = 2: 200k shares`, () => {
      const n = 200_000;
      const r = 1 / shares;
      const fit = checkFit(
        sumsOf(polyaShareSampler(T_NUM, T_DEN, shares), 1, n),
        shareDifferencePmf(r, A),
        r,
        A,
        n
      );
      process.stderr.write(`  one share of ${shares}: ${JSON.stringify(fit)}\n`);
    });
  }

  it('shares = 1 is the central discrete Laplace itself (100k draws)', () => {
    const n = 100_000;
    checkFit(sumsOf(polyaShareSampler(T_NUM, T_DEN, 1), 1, n), laplacePmf(A), 1, A, n);
  });
});

describe('the sum of T shares is exactly the central discrete Laplace', () => {
  // n = 2: a direct test of the construction (shares = 2 is below the secure-aggregation floor of
  // 3, which no round uses). Otherwise T = secaggThreshold(n, 3): n = 3 -> 3, n = 5 -> 3, n = 10 -> 6.
  const cases: { nodes: number; shares: number; draws: number }[] = [
    { nodes: 2, shares: 2, draws: 150_000 },
    { nodes: 3, shares: secaggThreshold(3, 3), draws: 150_000 },
    { nodes: 5, shares: secaggThreshold(5, 3), draws: 150_000 },
    { nodes: 10, shares: secaggThreshold(10, 3), draws: 120_000 },
  ];
  it('the thresholds are 3, 3, 6 for 3, 5, 10 participants', () => {
    expect(cases.map((c) => c.shares)).toEqual([2, 3, 3, 6]);
  });
  for (const { nodes, shares, draws } of cases) {
    it(`n = ${nodes}: the sum of the T = ${shares} survivors' shares, ${draws / 1000}k sums`, () => {
      const fit = checkFit(
        sumsOf(polyaShareSampler(T_NUM, T_DEN, shares), shares, draws),
        laplacePmf(A),
        1,
        A,
        draws
      );
      expect(fit.expectedVariance).toBeCloseTo(discreteLaplaceVariance(T_NUM, T_DEN), 10);
      process.stderr.write(`  n=${nodes} T=${shares} m=T: ${JSON.stringify(fit)}\n`);
    });
  }

  // All n survive a round sized for T: the sum is X - Y with X, Y ~ NB(n/T, a), n/T times the
  // central variance (never less noise than accounted).
  for (const nodes of [5, 10]) {
    const shares = secaggThreshold(nodes, 3);
    it(`n = ${nodes}, T = ${shares}, all ${nodes} survive: variance ${nodes}/${shares} of central (100k sums)`, () => {
      const draws = 100_000;
      const r = nodes / shares;
      const fit = checkFit(
        sumsOf(polyaShareSampler(T_NUM, T_DEN, shares), nodes, draws),
        shareDifferencePmf(r, A),
        r,
        A,
        draws
      );
      expect(fit.expectedVariance / discreteLaplaceVariance(T_NUM, T_DEN)).toBeCloseTo(r, 10);
      process.stderr.write(`  n=${nodes} T=${shares} m=n: ${JSON.stringify(fit)}\n`);
    });
  }
});

describe('negative control: T - 1 shares are not the central discrete Laplace', () => {
  for (const shares of [3, 6]) {
    it(`the same fit rejects the sum of ${shares - 1} of ${shares} shares`, () => {
      const n = shares === 3 ? 100_000 : 60_000;
      const counts = sumsOf(polyaShareSampler(T_NUM, T_DEN, shares), shares - 1, n);
      const fit = chiSquareFit(counts, fitPmf(laplacePmf(A)), n);
      // Expected chi-square (non-centrality) about 7800 (T = 3, 100k) and 930 (T = 6, 60k).
      expect(fit.chi2).toBeGreaterThan(5 * fit.limit);
      process.stderr.write(`  ${shares - 1} of ${shares} shares: ${JSON.stringify(fit)}\n`);
    });
  }
});

describe('large scale', () => {
  it('t = 10^7, T = 5: fast, and one share and the sum of 5 have the right variance (5 SE)', () => {
    const num = 10_000_000n;
    const shares = 5;
    const sample = polyaShareSampler(num, 1n, shares);
    const n = 20_000;
    const started = performance.now();
    let oneSq = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      let x = 0n;
      for (let j = 0; j < shares; j++) {
        const s = sample();
        if (j === 0) oneSq += Number(s) ** 2;
        x += s;
      }
      sumSq += Number(x) ** 2;
    }
    const usPerShare = ((performance.now() - started) * 1000) / (n * shares);
    // About ln(G) + 1 uniform draws per NB part, G ~ 10^7: measured ~12 us a share. A loose bound
    // (a shared machine): 1 ms a share would mean a linear-in-G loop.
    expect(usPerShare).toBeLessThan(1000);
    const a = discreteLaplaceParameter(num, 1n);
    const oneMinusA = -Math.expm1(-1 / Number(num));
    const one = differenceMoments(1 / shares, a, oneMinusA);
    const all = differenceMoments(1, a, oneMinusA);
    expect(all.variance / discreteLaplaceVariance(num, 1n)).toBeCloseTo(1, 9);
    const zOne = varianceZ(oneSq / n, one, n);
    const zAll = varianceZ(sumSq / n, all, n);
    expect(Math.abs(zOne)).toBeLessThan(5);
    expect(Math.abs(zAll)).toBeLessThan(5);
    process.stderr.write(
      `  t=1e7 T=5: ${usPerShare.toFixed(1)} us/share, one share z=${zOne.toFixed(2)}, sum z=${zAll.toFixed(2)}, sum var ${(sumSq / n).toExponential(4)} vs ${all.variance.toExponential(4)}\n`
    );
  });

  it('refuses a non-positive or fractional share count', () => {
    expect(() => polyaShareSampler(2n, 1n, 0)).toThrow(RangeError);
    expect(() => polyaShareSampler(2n, 1n, 1.5)).toThrow(RangeError);
  });
});
