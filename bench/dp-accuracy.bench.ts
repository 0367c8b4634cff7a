/**
 * Accuracy of the noise modes (docs/privacy.md "Distributed noise"), measured on the nodes'
 * release path: addNoise on a count block from protocol layoutOf, with the three RoundNoise kinds,
 * in one run.
 * - A count (sensitivity 1) at epsilon 0.5 for 3, 5 and 10 nodes (threshold T = secaggThreshold(n,
 *   3): 3, 3, 6): local Laplace (the sum of n full draws), central Laplace (one draw), distributed
 *   Laplace with shares sized for n and all n surviving (target: within 1.1x of central), and
 *   shares sized for T with all n surviving (n/T of central: what a round sized for its threshold
 *   pays when nobody drops). Gaussian: central discrete Gaussian (one draw, contributors 1)
 *   against distributed shares sized for n and for T, at the "rho equivalent" of pure epsilon 0.5,
 *   rho = epsilon^2 / 2 = 0.125, and at the (epsilon 0.5, delta 1e-7) reading, rho =
 *   rhoForEpsilon(0.5, 1e-7).
 * - Training: per-coordinate noise std for T = 10, 20, 50 rounds at total epsilon 1, delta 1e-6,
 *   7 coefficients clipped to L2 norm C: basic composition of discrete Laplace (L1 sensitivity
 *   sqrt(7) C, epsilon / T per round) against zCDP with the discrete Gaussian (L2 sensitivity C,
 *   all of rho on the gradient), and the product's gradient share (roundLayout +
 *   gaussianShareVariance, 3 contributors): it spends 10% on standardisation and 16/19 of each
 *   round on the gradient (count and loss take the rest).
 *
 * The count block is the whole release (a one-block, one-cell layout; unit epsilon = the block's
 * 0.5), so the Gaussian block's rho is exactly the reading's. The Laplace rows call addNoise once
 * per node and trial. The Gaussian rows draw from the sampler addNoise builds for that block
 * (noise.ts blockSampler: gaussianShareVariance + discreteGaussianSampler), built once per
 * configuration: addNoise re-sizes the share on every call (about 25 ms, the rhoForEpsilon
 * bisection), which would make 10^4 trials take minutes, and a wide block is no substitute here
 * (at rho 0.125 the shares are small and the KLS21 tau d term makes a wide block's share larger).
 * Each configuration's sigma^2 is checked against the variance addNoise reports for the cell.
 */
import {
  fractionValue,
  gaussianShareVariance,
  gaussianStdForRounds,
  gradientScale,
  encodingOf,
  layoutOf,
  rhoForEpsilon,
  rhoOfShare,
  rhoToNumber,
  roundLayout,
  secaggThreshold,
  SegmentQuerySchema,
  TrainSpecSchema,
  unitNoiseOf,
  zcdpEpsilon,
  type GaussianNoise,
  type RoundNoise,
} from '../packages/protocol/src/index.ts';
import { discreteGaussianSampler } from '../packages/node/src/privacy/discrete-gaussian.ts';
import { discreteLaplaceVariance } from '../packages/node/src/privacy/discrete-laplace.ts';
import { addNoise, type NoiseLayout } from '../packages/node/src/privacy/noise.ts';

const TRIALS = Number(process.env['FEDMARK_BENCH_RUNS'] ?? 50_000);
const EPSILON = 0.5;
const EPSILON_MICRO = 500_000;

/**
 * The count block of a query at epsilon 1 (count and total get 0.5 each), as a one-block layout:
 * one cell, or with one 1000-category dimension, 1001 cells.
 */
function countLayout(wide: boolean): NoiseLayout {
  const categories = Array.from({ length: 1000 }, (_, i) => `r${i}`);
  const q = SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-11-01',
    epsilon: 1,
    dimensions: wide ? [{ field: 'attr.region', categories }] : [],
  });
  const full = layoutOf(q);
  const count = full.blocks[0];
  if (count?.name !== 'count' || count.epsilonMicro !== EPSILON_MICRO || count.sensitivity !== 1n)
    throw new Error('unexpected count block');
  return { length: count.length, hash: full.hash, blocks: [{ ...count, offset: 0 }] };
}

/** The published sum of `nodes` one-cell releases through addNoise, TRIALS times. */
function published(layout: NoiseLayout, noise: RoundNoise, nodes: number): Float64Array {
  const out = new Float64Array(TRIALS);
  const zero = [0n];
  for (let i = 0; i < TRIALS; i++) {
    let sum = 0;
    for (let node = 0; node < nodes; node++) sum += Number(addNoise(layout, zero, noise).values[0]);
    out[i] = sum;
  }
  return out;
}

/** The same for the Gaussian, from addNoise's own sampler for the cell (see the header). */
function publishedGaussian(
  layout: NoiseLayout,
  noise: GaussianNoise,
  nodes: number
): { sigma2: number; out: Float64Array } {
  const s2 = gaussianShareVariance(layout.blocks[0] as NoiseLayout['blocks'][0], noise);
  if (s2 === null) throw new Error('no Gaussian noise');
  const sigma2 = fractionValue(s2);
  if (addNoise(layout, [0n], noise).variance[0] !== sigma2)
    throw new Error('addNoise must report the share variance the sampler uses');
  const sample = discreteGaussianSampler(s2.num, s2.den);
  const out = new Float64Array(TRIALS);
  for (let i = 0; i < TRIALS; i++) {
    let sum = 0;
    for (let node = 0; node < nodes; node++) sum += Number(sample());
    out[i] = sum;
  }
  return { sigma2, out };
}

function variance(xs: Float64Array): number {
  let s = 0;
  let s2 = 0;
  for (const x of xs) {
    s += x;
    s2 += x * x;
  }
  const m = s / xs.length;
  return s2 / xs.length - m * m;
}

const r2 = (x: number) => Number(x.toFixed(2));
const r3 = (x: number) => Number(x.toFixed(3));

/** delta at which rho-zCDP reads as exactly `epsilon` (bisection on ln delta). */
function deltaReading(rho: number, epsilon: number): number {
  let lo = -60;
  let hi = -1e-9;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpEpsilon(rho, Math.exp(mid)) > epsilon) lo = mid;
    else hi = mid;
  }
  return Math.exp(hi);
}

export async function run(): Promise<Record<string, unknown>> {
  const oneCell = countLayout(false);
  const wide = countLayout(true);
  const analyticLaplace = discreteLaplaceVariance(1_000_000n, BigInt(EPSILON_MICRO));
  const centralLaplace = variance(published(oneCell, { mechanism: 'local-laplace' }, 1));

  // Two Gaussian readings of the count's epsilon 0.5, both through the RoundNoise's unit rho.
  // rho 0.125 is reached by reading epsilon 0.5 at the delta where 0.125-zCDP converts to it
  // (about 0.104): a device to hit the rho equivalent, not a delta a job may use (<= 1e-4).
  const readings = [
    { name: 'rhoEquivalent', rho: (EPSILON * EPSILON) / 2 },
    { name: 'epsilon0.5Delta1e-7', rho: rhoForEpsilon(EPSILON, 1e-7), delta: 1e-7 },
  ].map((r) => ({ ...r, delta: r.delta ?? deltaReading(r.rho, EPSILON) }));
  const gaussian = (contributors: number, delta: number): GaussianNoise => ({
    mechanism: 'distributed-gaussian',
    delta,
    unitEpsilonMicro: EPSILON_MICRO,
    contributors,
  });
  const centralGaussian = readings.map((r) => {
    const noise = gaussian(1, r.delta);
    const { sigma2, out } = publishedGaussian(oneCell, noise, 1);
    return {
      reading: r.name,
      rho: rhoToNumber(rhoOfShare(noise, EPSILON_MICRO)),
      delta: r.delta,
      sigma2,
      variance: variance(out),
    };
  });

  const counts: Record<string, unknown>[] = [];
  for (const nodes of [3, 5, 10]) {
    const threshold = secaggThreshold(nodes, 3);
    const local = variance(published(oneCell, { mechanism: 'local-laplace' }, nodes));
    const sizedForN = variance(
      published(oneCell, { mechanism: 'distributed-laplace', contributors: nodes }, nodes)
    );
    const sizedForT = variance(
      published(oneCell, { mechanism: 'distributed-laplace', contributors: threshold }, nodes)
    );
    const gaussianRows = readings.map((r, i) => {
      const central = centralGaussian[i] as (typeof centralGaussian)[0];
      const share = (contributors: number) => {
        const noise = gaussian(contributors, r.delta);
        const { sigma2, out } = publishedGaussian(oneCell, noise, nodes);
        const v = variance(out);
        const wideS2 = gaussianShareVariance(wide.blocks[0] as NoiseLayout['blocks'][0], noise);
        return {
          sigma2Share: sigma2,
          // The same block with 1001 cells (one 1000-category dimension): KLS21's tau d term.
          sigma2Share1001Cells: wideS2 === null ? 0 : fractionValue(wideS2),
          variance: r2(v),
          overCentral: r3(v / central.variance),
          analyticOverCentral: r3((nodes * sigma2) / central.sigma2),
        };
      };
      return { reading: r.name, sizedForN: share(nodes), sizedForT: share(threshold) };
    });
    const row = {
      nodes,
      threshold,
      localLaplaceVariance: r2(local),
      centralLaplaceVariance: r2(centralLaplace),
      localOverCentralLaplace: r3(local / centralLaplace),
      distributedLaplaceVariance: r2(sizedForN),
      distributedOverCentralLaplace: r3(sizedForN / centralLaplace),
      thresholdLaplaceVariance: r2(sizedForT),
      thresholdOverCentralLaplace: r3(sizedForT / centralLaplace),
      thresholdExpectedRatio: r3(nodes / threshold),
      gaussian: gaussianRows,
    };
    counts.push(row);
    process.stderr.write(
      `  count, ${nodes} nodes (T ${threshold}): local Laplace ${row.localLaplaceVariance} (${row.localOverCentralLaplace}x), central ${row.centralLaplaceVariance}, distributed (n shares) ${row.distributedLaplaceVariance} (${row.distributedOverCentralLaplace}x), sized for T ${row.thresholdLaplaceVariance} (${row.thresholdOverCentralLaplace}x, n/T ${row.thresholdExpectedRatio})\n`
    );
    for (const g of gaussianRows)
      process.stderr.write(
        `    Gaussian ${g.reading}: distributed (n shares) ${g.sizedForN.variance} (${g.sizedForN.overCentral}x central), sized for T ${g.sizedForT.variance} (${g.sizedForT.overCentral}x)\n`
      );
  }
  for (const c of centralGaussian)
    process.stderr.write(
      `  central Gaussian ${c.reading}: rho ${c.rho.toFixed(5)}, sigma2 ${c.sigma2}, measured ${c.variance.toFixed(2)}\n`
    );

  // Training: the product's gradient block, 6 numeric features + intercept = 7 coefficients.
  const features = Array.from({ length: 6 }, (_, i) => ({
    type: 'numeric' as const,
    column: `f${i}`,
    lower: 0,
    upper: 1,
  }));
  const training = [10, 20, 50].map((rounds) => {
    const basic = (Math.sqrt(2 * 7) * rounds) / 1;
    const zcdp = gaussianStdForRounds({ rounds, epsilon: 1, delta: 1e-6, sensitivity: 1 });
    const spec = TrainSpecSchema.parse({
      version: 1,
      kind: 'train',
      purpose: 'model_training',
      table: 'customers',
      label: { column: 'churn', positive: 'Yes' },
      features,
      rounds,
      optimiser: { kind: 'gd', learningRate: 1 },
      clipNorm: 1,
      epsilon: 1,
      minNodes: 3,
    });
    const std = Object.fromEntries(features.map((f) => [f.column, 0.25]));
    const means = Object.fromEntries(features.map((f) => [f.column, 0.5]));
    const layout = roundLayout(spec, encodingOf(spec, { means, stds: std }), 0);
    const gradient = layout.blocks.find((b) => b.name === 'gradient');
    if (gradient?.length !== 7) throw new Error('expected a 7-coefficient gradient');
    // The job's noise as a round gets it: the unit is the job's total epsilon.
    const noise = unitNoiseOf({ mechanism: 'distributed-gaussian', delta: 1e-6 }, 1, 3);
    if (noise.mechanism !== 'distributed-gaussian') throw new Error('expected Gaussian noise');
    const s2 = gaussianShareVariance(gradient, noise);
    if (s2 === null) throw new Error('no gradient noise');
    const scale = gradientScale(spec);
    const share = Math.sqrt(fractionValue(s2)) / scale;
    return {
      rounds,
      basicLaplaceStdPerC: Number(basic.toFixed(1)),
      zcdpGaussianStdPerC: Number(zcdp.toFixed(1)),
      ratio: r2(basic / zcdp),
      productShareStdPerC: Number(share.toFixed(1)),
      productSumOf3StdPerC: Number((share * Math.sqrt(3)).toFixed(1)),
      gradientL2Sensitivity: Number(gradient.l2Sensitivity ?? gradient.sensitivity),
      gradientEpsilonMicro: gradient.epsilonMicro,
    };
  });
  for (const t of training)
    process.stderr.write(
      `  training, ${t.rounds} rounds: std ${t.basicLaplaceStdPerC} C (basic Laplace) vs ${t.zcdpGaussianStdPerC} C (zCDP Gaussian), ${t.ratio}x; product gradient share ${t.productShareStdPerC} C, sum of 3 ${t.productSumOf3StdPerC} C\n`
    );
  return {
    trials: TRIALS,
    count: {
      epsilon: EPSILON,
      analyticLaplaceVariance: analyticLaplace,
      centralGaussian: centralGaussian.map((c) => ({ ...c, variance: r2(c.variance) })),
      rows: counts,
    },
    training: { epsilon: 1, delta: 1e-6, coefficients: 7, contributors: 3, rows: training },
    note: 'measured on the release path (addNoise with each RoundNoise): distributed noise is what rounds use now (distributed Laplace for statistics, distributed Gaussian for training, local Laplace only as the explicit option); shares are sized for the secure-aggregation threshold T, so a round where all n > T survive carries n/T of the central variance',
  };
}
