import { describe, expect, it } from 'vitest';
import { cdnowCustomers, cdnowSummary } from './_cdnow-testing.ts';
import { bgNbdExpectedPurchases, bgNbdFromTheta, bgNbdProbabilityAlive } from './bgnbd.ts';
import { gammaGammaFromTheta } from './gamma-gamma.ts';
import {
  BG_NBD_LIKELIHOOD,
  GAMMA_GAMMA_LIKELIHOOD,
  type CustomerLikelihood,
} from './likelihood.ts';
import { fitPooled } from './pooled-fit.ts';
import { holdoutReport } from './holdout.ts';
import { customerValue } from './clv-value.ts';

function fdCheck<T>(m: CustomerLikelihood<T>, theta: number[], c: T): number {
  const g = m.gradient(theta, c);
  const h = 1e-6;
  let worst = 0;
  for (let i = 0; i < theta.length; i++) {
    const up = theta.slice();
    const dn = theta.slice();
    up[i] = (up[i] as number) + h;
    dn[i] = (dn[i] as number) - h;
    const fd = (m.logLik(up, c) - m.logLik(dn, c)) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - (g[i] as number)) / Math.max(1, Math.abs(fd)));
  }
  return worst;
}

describe('CLV likelihoods', () => {
  it('BG/NBD analytic gradient agrees with central differences', () => {
    const cases = [
      { frequency: 0, recency: 0, T: 38.86 },
      { frequency: 1, recency: 1.71, T: 38.86 },
      { frequency: 29, recency: 37.71, T: 38 },
      { frequency: 3, recency: 10, T: 20 },
    ];
    for (const theta of [
      [-1.4, 1.5, -0.2, 0.9],
      [0.3, -0.5, 1.2, -1],
    ])
      for (const c of cases) expect(fdCheck(BG_NBD_LIKELIHOOD, theta, c)).toBeLessThan(1e-6);
  });

  it('Gamma-Gamma analytic gradient agrees with central differences', () => {
    for (const theta of [
      [1.8, 1.3, 2.7],
      [0, 0.5, -1],
    ])
      for (const c of [
        { frequency: 1, monetary: 20 },
        { frequency: 12, monetary: 7.5 },
      ])
        expect(fdCheck(GAMMA_GAMMA_LIKELIHOOD, theta, c)).toBeLessThan(1e-6);
  });

  it('matches lifetimes conditional expectations for the published parameters', () => {
    // lifetimes README (CDNOW summary, t = 1 week): customer 157 (29, 37.71, 38.0) -> 0.662396.
    const p = { r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425752 };
    const c = { frequency: 29, recency: 37.71, T: 38 };
    expect(bgNbdExpectedPurchases(p, c, 1)).toBeCloseTo(0.662396, 5);
    expect(bgNbdProbabilityAlive(p, { frequency: 0, recency: 0, T: 10 })).toBe(1);
  });
});

describe('pooled fit on the CDNOW sample', () => {
  const customers = cdnowCustomers();

  it('derives the published summary from the raw transactions', () => {
    const s = cdnowSummary();
    expect(customers.length).toBe(2357);
    for (let i = 0; i < s.length; i++) {
      const a = customers[i];
      const b = s[i];
      expect(a?.frequency).toBe(b?.frequency);
      expect(Math.abs((a?.T ?? 0) - (b?.T ?? 0))).toBeLessThan(0.006);
      expect(Math.abs((a?.recency ?? 0) - (b?.recency ?? 0))).toBeLessThan(0.006);
    }
  });

  it('reproduces r, alpha, a, b of Fader, Hardie and Lee 2005 to 3 decimals', () => {
    const fit = fitPooled(BG_NBD_LIKELIHOOD, cdnowSummary());
    const p = bgNbdFromTheta(fit.theta);
    expect(p.r.toFixed(3)).toBe('0.243');
    expect(p.alpha.toFixed(3)).toBe('4.414');
    expect(p.a.toFixed(3)).toBe('0.793');
    expect(p.b.toFixed(3)).toBe('2.426');
    expect(fit.logLik).toBeCloseTo(-9582.43, 2);

    // The paper's holdout test: weeks 40-78 (measured: 1653.4 predicted, 1882 actual).
    const h = holdoutReport(p, customers, 39);
    expect(h.actual).toBe(1882);
    expect(h.predicted).toBeCloseTo(1653.4, 1);
    expect(h.byFrequency.map((b) => b.customers)).toEqual([1411, 439, 214, 100, 62, 38, 29, 64]);
    expect(h.groupMeanAbsError).toBeLessThan(0.5);
  });

  it('fits Gamma-Gamma near lifetimes documented p = 6.25, q = 3.74, v = 15.45', () => {
    const fit = fitPooled(
      GAMMA_GAMMA_LIKELIHOOD,
      customers.filter((c) => c.frequency > 0)
    );
    const g = gammaGammaFromTheta(fit.theta);
    expect(g.p).toBeCloseTo(6.25, 2);
    expect(g.q).toBeCloseTo(3.74, 2);
    expect(g.v).toBeCloseTo(15.44, 2);
    const bg = { r: 0.2426, alpha: 4.4135, a: 0.7929, b: 2.4258 };
    const v = customerValue(bg, g, { frequency: 2, recency: 30.43, T: 38.86, monetary: 22.35 });
    // Spend shrinks towards the population mean p v / (q - 1) = 35.17.
    expect(v.expectedSpend).toBeGreaterThan(22.35);
    expect(v.expectedSpend).toBeLessThan(35.17);
    expect(v.clv).toBeGreaterThan(0);
    expect(v.clv).toBeLessThan(v.expectedSpend * v.expectedPurchases);
  });
});
