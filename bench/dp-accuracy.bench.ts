/**
 * Accuracy of the noise modes (docs/privacy.md), measured by sampling with the nodes' exact
 * samplers in one run:
 * - a count (sensitivity 1) at epsilon 0.5, or its zCDP equivalent rho = epsilon^2 / 2 = 0.125,
 *   for 3, 5 and 10 nodes: today's local mode (every node adds a full discrete Laplace draw), one
 *   central discrete Laplace release, one central discrete Gaussian, and distributed discrete
 *   Gaussian shares (each node adds a share calibrated with protocol distributedGaussianSigma2,
 *   counted in units of 1/8 so that the sum of shares is accounted like one Gaussian). The target:
 *   distributed within 1.1x of the central release's variance.
 * - training: per-coordinate noise std for T = 10, 20, 50 rounds at total epsilon 1, delta 1e-6,
 *   7 coefficients clipped to L2 norm C: basic composition of discrete Laplace (L1 sensitivity
 *   sqrt(7) C, epsilon / T per round) against zCDP with the discrete Gaussian (L2 sensitivity C).
 */
import {
  distributedGaussianRho,
  distributedGaussianSigma2,
  gaussianStdForRounds,
} from '../packages/protocol/src/index.ts';
import { discreteGaussianSampler } from '../packages/node/src/privacy/discrete-gaussian.ts';
import {
  discreteLaplaceSampler,
  discreteLaplaceVariance,
} from '../packages/node/src/privacy/discrete-laplace.ts';

const TRIALS = Number(process.env['FEDMARK_BENCH_RUNS'] ?? 20_000);
const SCALE = 8;

function variance(draw: () => number, trials: number): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < trials; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const m = s / trials;
  return s2 / trials - m * m;
}

/** sigma^2 as a fraction with denominator 10^6, rounded up (never less noise than calibrated). */
function rational(sigma2: number): [bigint, bigint] {
  return [BigInt(Math.ceil(sigma2 * 1e6)), 1_000_000n];
}

export async function run(): Promise<Record<string, unknown>> {
  const epsilon = 0.5;
  const rho = (epsilon * epsilon) / 2;
  const laplace = discreteLaplaceSampler(2n, 1n); // t = sensitivity / epsilon = 2
  const centralLaplace = variance(() => Number(laplace()), TRIALS);
  const [cn, cd] = rational(1 / (2 * rho));
  const gauss = discreteGaussianSampler(cn, cd);
  const centralGaussian = variance(() => Number(gauss()), TRIALS);
  const counts: Record<string, unknown>[] = [];
  for (const nodes of [3, 5, 10]) {
    const local = variance(() => {
      let x = 0;
      for (let i = 0; i < nodes; i++) x += Number(laplace());
      return x;
    }, TRIALS);
    const s2 = distributedGaussianSigma2({
      targetRho: rho,
      sens2: SCALE * SCALE,
      minContributors: nodes,
      dims: 1,
    });
    const [sn, sd] = rational(s2);
    const share = discreteGaussianSampler(sn, sd);
    const distributed = variance(() => {
      let x = 0;
      for (let i = 0; i < nodes; i++) x += Number(share());
      return x / SCALE;
    }, TRIALS);
    const row = {
      nodes,
      localLaplaceVariance: Number(local.toFixed(2)),
      centralLaplaceVariance: Number(centralLaplace.toFixed(2)),
      centralGaussianVariance: Number(centralGaussian.toFixed(2)),
      distributedGaussianVariance: Number(distributed.toFixed(2)),
      distributedOverCentralGaussian: Number((distributed / centralGaussian).toFixed(3)),
      localOverCentralLaplace: Number((local / centralLaplace).toFixed(3)),
      accountedRho: distributedGaussianRho({
        sens2: SCALE * SCALE,
        sigma2PerNode: Number(sn) / Number(sd),
        minContributors: nodes,
        dims: 1,
      }),
    };
    counts.push(row);
    process.stderr.write(
      `  count, ${nodes} nodes: local Laplace ${row.localLaplaceVariance}, central Laplace ${row.centralLaplaceVariance}, central Gaussian ${row.centralGaussianVariance}, distributed Gaussian ${row.distributedGaussianVariance} (${row.distributedOverCentralGaussian}x central)\n`
    );
  }
  const training = [10, 20, 50].map((rounds) => {
    const basic = (Math.sqrt(2 * 7) * rounds) / 1;
    const zcdp = gaussianStdForRounds({ rounds, epsilon: 1, delta: 1e-6, sensitivity: 1 });
    return {
      rounds,
      basicLaplaceStdPerC: Number(basic.toFixed(1)),
      zcdpGaussianStdPerC: Number(zcdp.toFixed(1)),
      ratio: Number((basic / zcdp).toFixed(2)),
    };
  });
  for (const t of training)
    process.stderr.write(
      `  training, ${t.rounds} rounds: std ${t.basicLaplaceStdPerC} C (basic Laplace) vs ${t.zcdpGaussianStdPerC} C (zCDP Gaussian), ${t.ratio}x\n`
    );
  return {
    trials: TRIALS,
    count: {
      epsilon,
      rho,
      analyticLaplaceVariance: discreteLaplaceVariance(2n, 1n),
      granularity: SCALE,
      rows: counts,
    },
    training: { epsilon: 1, delta: 1e-6, coefficients: 7, rows: training },
    note: 'distributed noise is measured here on the exact samplers; it is not yet wired into the release path (local mode is what rounds use today)',
  };
}
