/**
 * Federated CLV fit (docs/clv.md "Federation"): the CDNOW 1/10 sample (test/data) split by
 * customer id over 3 in-process nodes with distributed Gaussian shares (simulateClvFit, default
 * clips and rounds), 20 runs at each epsilon and one without noise, against the pooled fit
 * (fitPooledClv) in the same run; the holdout test of Fader, Hardie and Lee 2005 (weeks 40-78,
 * holdoutReport) per fit; for Gamma-Gamma the population mean spend p v / (q - 1) (infinite when
 * q <= 1) and each repeat customer's expected spend against the pooled fit's (median relative
 * error over customers, per fit). Figures only, no assertions.
 */
import {
  fitPooledClv,
  gammaGammaExpectedSpend,
  holdoutReport,
  type ClvModel,
  type GammaGammaParams,
} from '../packages/protocol/src/index.ts';
import { cdnowCustomers } from '../packages/protocol/src/clv/_cdnow-testing.ts';
import { simulateClvFit } from '../packages/node/src/clv/simulate-fit.ts';

const HOLDOUT_WEEKS = 39;
const RUNS = 20;
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: r4(s[Math.floor(s.length / 2)] as number),
    min: r4(s[0] as number),
    max: r4(s[s.length - 1] as number),
  };
};

export async function run(): Promise<Record<string, unknown>> {
  const all = cdnowCustomers();
  const nodes = [0, 1, 2].map((k) => all.filter((c) => c.id % 3 === k));
  const { bgnbd: pb, gammaGamma: pg } = fitPooledClv(all);
  const relErr = (p: ClvModel['bgnbd']) => {
    const h = holdoutReport(p, all, HOLDOUT_WEEKS);
    return (h.predicted - h.actual) / h.actual;
  };
  const repeat = all.filter((c) => c.frequency > 0);
  const meanSpend = (g: GammaGammaParams) =>
    g.q > 1 ? (g.p * g.v) / (g.q - 1) : Number.POSITIVE_INFINITY;
  const spendError = (g: GammaGammaParams) => {
    const e = repeat
      .map((c) => Math.abs(gammaGammaExpectedSpend(g, c) / gammaGammaExpectedSpend(pg, c) - 1))
      .sort((a, b) => a - b);
    return e[Math.floor(e.length / 2)] as number;
  };
  const summary = (fits: ClvModel[]) => {
    const out: Record<string, unknown> = {};
    for (const k of ['r', 'alpha', 'a', 'b'] as const) out[k] = stats(fits.map((f) => f.bgnbd[k]));
    for (const k of ['p', 'q', 'v'] as const) out[k] = stats(fits.map((f) => f.gammaGamma[k]));
    out['holdoutRelativeError'] = stats(fits.map((f) => relErr(f.bgnbd)));
    out['meanSpend'] = stats(fits.map((f) => meanSpend(f.gammaGamma)));
    out['fitsWithQAtMost1'] = fits.filter((f) => f.gammaGamma.q <= 1).length;
    out['expectedSpendMedianError'] = stats(fits.map((f) => spendError(f.gammaGamma)));
    const cover = (k: 'r' | 'alpha' | 'a' | 'b') =>
      fits.filter((f) => {
        const iv = f.intervals?.bgnbd[k];
        return iv !== undefined && iv[0] <= pb[k] && pb[k] <= iv[1];
      }).length;
    out['intervalCoversPooled'] = {
      r: cover('r'),
      alpha: cover('alpha'),
      a: cover('a'),
      b: cover('b'),
      of: fits.length,
    };
    out['rho'] = fits[0]?.fit.rho;
    return out;
  };
  const figures: Record<string, unknown> = {
    data: 'CDNOW 1/10 sample, 2,357 customers, 3 nodes by id mod 3, distributed Gaussian, delta 1e-7',
    pooled: {
      bgnbd: { r: r4(pb.r), alpha: r4(pb.alpha), a: r4(pb.a), b: r4(pb.b) },
      gammaGamma: { p: r4(pg.p), q: r4(pg.q), v: r4(pg.v) },
      holdoutRelativeError: r4(relErr(pb)),
      meanSpend: r4(meanSpend(pg)),
    },
    noNoise: summary([simulateClvFit(nodes, { noise: false })]),
  };
  for (const epsilon of [0.5, 1, 2]) {
    const fits = Array.from({ length: RUNS }, () =>
      simulateClvFit(nodes, { noise: true, epsilon })
    );
    figures[`epsilon${epsilon}`] = summary(fits);
  }
  return figures;
}
