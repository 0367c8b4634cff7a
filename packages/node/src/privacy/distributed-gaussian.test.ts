import { describe, expect, it } from 'vitest';
import {
  fractionValue,
  gaussianShareVariance,
  layoutOf,
  rhoOfShare,
  rhoToNumber,
  secaggThreshold,
  SegmentQuerySchema,
  type GaussianNoise,
  type SegmentLayout,
} from '@fedmark/protocol';
import { discreteGaussianPmf } from './discrete-gaussian.ts';
import { addNoise } from './noise.ts';
import {
  chiSquareFit,
  histogram,
  symmetricPmf,
  tally,
  varianceZ,
  wilson,
  type Counts,
  type Moments,
  type SymmetricPmf,
} from './_fit-testing.ts';

/**
 * The distributed discrete Gaussian as the node adds it (addNoise with a `distributed-gaussian`
 * RoundNoise): the sum of the T survivors' shares fits the discrete Gaussian of variance
 * T sigma2_share (chi-square over bins with expected >= 5, tails merged, rejected above
 * df + 6 sqrt(2 df); P[0] in a Wilson interval at z = 5; the variance within 5 standard errors),
 * and a round where all n > T survive carries n/T of that variance.
 *
 * The sum of T discrete Gaussians is not exactly a discrete Gaussian (KLS21); its exact pmf is the
 * T-fold convolution, computed here, and its total-variation distance to N_Z(0, T sigma2_share)
 * is checked to be far below what 10^5 draws resolve, so the fit against N_Z is a fair test.
 *
 * Why a wide count block: addNoise sizes each block's share (gaussianShareVariance: rhoForEpsilon
 * by bisection, about 25 ms a block on this machine) on every call, so 10^5 one-slot calls per
 * node would take 40 minutes. One call on a 100,100-cell count block draws 100,100 independent
 * shares of the same block; the share variance of the wide block is checked to equal the one-slot
 * block's exactly (the KLS21 tau d term is below 1e-30 at these variances).
 */

const cats = (k: number, prefix: string) => Array.from({ length: k }, (_, i) => `${prefix}${i}`);

/** Query epsilon 1: the count block gets epsilon 0.5 (sensitivity 1), the statistics setting. */
function query(dimensions: unknown[]) {
  return SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-11-01',
    epsilon: 1,
    dimensions,
  });
}

const WIDE: SegmentLayout = layoutOf(
  query([
    { field: 'attr.region', categories: cats(1000, 'r') },
    { field: 'attr.segment', categories: cats(99, 's') },
  ])
);
const ONE_SLOT: SegmentLayout = layoutOf(query([]));

function noiseFor(contributors: number): GaussianNoise {
  return {
    mechanism: 'distributed-gaussian',
    delta: 1e-7,
    unitEpsilonMicro: 1_000_000,
    contributors,
  };
}

/** Symmetric pmf on -bound..bound, stored at index x + bound. */
interface Pmf {
  bound: number;
  p: Float64Array;
}

function gaussianPmf(sigma2: number, bound: number): Pmf {
  const m = discreteGaussianPmf(sigma2, bound);
  const p = new Float64Array(2 * bound + 1);
  for (const [x, v] of m) p[x + bound] = v;
  return { bound, p };
}

function convolve(f: Pmf, g: Pmf): Pmf {
  const bound = f.bound + g.bound;
  const p = new Float64Array(2 * bound + 1);
  for (let i = 0; i < f.p.length; i++) {
    const fi = f.p[i] as number;
    if (fi === 0) continue;
    for (let j = 0; j < g.p.length; j++) p[i + j] = (p[i + j] as number) + fi * (g.p[j] as number);
  }
  return { bound, p };
}

const at = (f: Pmf, x: number): number =>
  Math.abs(x) <= f.bound ? (f.p[x + f.bound] as number) : 0;

function moments(f: Pmf): Moments {
  let m2 = 0;
  let m4 = 0;
  for (let x = -f.bound; x <= f.bound; x++) {
    m2 += at(f, x) * x * x;
    m4 += at(f, x) * x ** 4;
  }
  return { variance: m2, varOfSquare: m4 - m2 * m2 };
}

function totalVariation(f: Pmf, g: Pmf): number {
  const bound = Math.max(f.bound, g.bound);
  let s = 0;
  for (let x = -bound; x <= bound; x++) s += Math.abs(at(f, x) - at(g, x));
  return s / 2;
}

/** The fit's view of `f` (every bin expecting >= 5: 'bins' in _fit-testing.ts). */
const fitPmf = (f: Pmf): SymmetricPmf => symmetricPmf((x) => at(f, x), f.bound);

/** Per count slot: the sum of the first `first` nodes' releases, and of all `nodes`. */
function releases(noise: GaussianNoise, nodes: number, first: number) {
  const count = WIDE.blocks[0];
  if (count?.name !== 'count') throw new Error('layout has no count block first');
  const zeros = new Array<bigint>(WIDE.length).fill(0n);
  const partial = new Float64Array(count.length);
  const total = new Float64Array(count.length);
  let variance = 0;
  for (let node = 0; node < nodes; node++) {
    const out = addNoise(WIDE, zeros, noise);
    variance = out.variance[0] as number;
    for (let i = 0; i < count.length; i++) {
      const v = Number(out.values[count.offset + i]);
      if (node < first) partial[i] = (partial[i] as number) + v;
      total[i] = (total[i] as number) + v;
    }
  }
  return { partial, total, variance };
}

/** The sample variance of `counts` (mean 0) against the exact variance of `f`, as a z-score. */
function varianceOf(counts: Counts, f: Pmf): { z: number; sample: number; exact: number } {
  const { draws, meanSquare } = tally(counts);
  const exact = moments(f);
  return { z: varianceZ(meanSquare, exact, draws), sample: meanSquare, exact: exact.variance };
}

describe('distributed discrete Gaussian through addNoise: the sum of T shares', () => {
  // T = secaggThreshold(n, 3): n = 5 -> 3, n = 9 -> 5, n = 10 -> 6.
  for (const nodes of [5, 9, 10]) {
    const threshold = secaggThreshold(nodes, 3);
    it(`T = ${threshold} (n = ${nodes}): the sum of T shares fits N_Z(0, T sigma2_share); all n give n/T of its variance`, () => {
      const noise = noiseFor(threshold);
      const count = WIDE.blocks[0];
      const oneSlot = ONE_SLOT.blocks[0];
      if (!count || !oneSlot) throw new Error('no count block');
      expect(count.length).toBe(100_100);
      expect(count.epsilonMicro).toBe(500_000);
      expect(oneSlot).toMatchObject({ name: 'count', length: 1, epsilonMicro: 500_000 });
      const s2 = gaussianShareVariance(count, noise);
      expect(s2).toEqual(gaussianShareVariance(oneSlot, noise));
      if (s2 === null) throw new Error('no noise');
      const sigma2 = fractionValue(s2);
      // The T shares carry at least the block's calibrated noise, 1 / (2 rho), and barely more.
      const central = 1 / (2 * rhoToNumber(rhoOfShare(noise, count.epsilonMicro)));
      expect(threshold * sigma2).toBeGreaterThanOrEqual(central);
      expect(threshold * sigma2).toBeLessThan(central * 1.001);

      const { partial, total, variance } = releases(noise, nodes, threshold);
      expect(variance).toBe(sigma2);
      const share = gaussianPmf(sigma2, Math.ceil(12 * Math.sqrt(sigma2)) + 5);
      let sumPmf = share;
      for (let i = 1; i < threshold; i++) sumPmf = convolve(sumPmf, share);
      let allPmf = sumPmf;
      for (let i = threshold; i < nodes; i++) allPmf = convolve(allPmf, share);
      const target = gaussianPmf(threshold * sigma2, sumPmf.bound);
      const tv = totalVariation(sumPmf, target);
      expect(tv).toBeLessThan(1e-6);

      const n = partial.length;
      const counts = histogram(partial);
      const fit = chiSquareFit(counts, fitPmf(target), n);
      expect(fit.df).toBeGreaterThanOrEqual(4);
      expect(fit.chi2).toBeLessThan(fit.limit);
      const [lo, hi] = wilson(counts.get(0) ?? 0, n, 5);
      expect(at(target, 0)).toBeGreaterThanOrEqual(lo);
      expect(at(target, 0)).toBeLessThanOrEqual(hi);
      const v = varianceOf(counts, sumPmf);
      expect(Math.abs(v.z)).toBeLessThan(5);

      // All n survive: n/T of the T-share variance (never less noise than accounted).
      const allCounts = histogram(total);
      const all = varianceOf(allCounts, allPmf);
      expect(all.exact / v.exact).toBeCloseTo(nodes / threshold, 6);
      expect(Math.abs(all.z)).toBeLessThan(5);
      const allFit = chiSquareFit(allCounts, fitPmf(allPmf), n);
      expect(allFit.chi2).toBeLessThan(allFit.limit);
      process.stderr.write(
        `  T=${threshold} n=${nodes}: sigma2_share ${sigma2} (T x = ${(threshold * sigma2).toFixed(4)}, 1/(2 rho) = ${central.toFixed(4)}), TV ${tv.toExponential(1)}; ` +
          `T-sum chi2 ${fit.chi2.toFixed(1)} / limit ${fit.limit.toFixed(1)} (df ${fit.df}), P[0] ${((counts.get(0) ?? 0) / n).toFixed(4)} vs ${at(target, 0).toFixed(4)}, var ${v.sample.toFixed(3)} vs ${v.exact.toFixed(3)} (z ${v.z.toFixed(2)}); ` +
          `n-sum var ${all.sample.toFixed(3)} vs ${all.exact.toFixed(3)} = ${(all.sample / v.exact).toFixed(3)} x central (z ${all.z.toFixed(2)}), chi2 ${allFit.chi2.toFixed(1)} / ${allFit.limit.toFixed(1)}\n`
      );
    });
  }

  it('negative control: the same fit rejects T - 1 shares as the T-share sum (T = 3)', () => {
    const noise = noiseFor(3);
    const { partial } = releases(noise, 2, 2);
    const s2 = gaussianShareVariance(WIDE.blocks[0] as (typeof WIDE.blocks)[0], noise);
    if (s2 === null) throw new Error('no noise');
    const sigma2 = fractionValue(s2);
    const target = gaussianPmf(3 * sigma2, Math.ceil(12 * Math.sqrt(3 * sigma2)) + 5);
    const fit = chiSquareFit(histogram(partial), fitPmf(target), partial.length);
    expect(fit.chi2).toBeGreaterThan(5 * fit.limit);
    process.stderr.write(
      `  2 of 3 Gaussian shares: chi2 ${fit.chi2.toFixed(0)} / limit ${fit.limit.toFixed(1)}\n`
    );
  });
});
