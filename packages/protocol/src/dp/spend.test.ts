import { describe, expect, it } from 'vitest';
import {
  addSpend,
  formatRhoPico,
  gaussianSpend,
  pureSpend,
  spendEpsilonMicro,
  spendRhoPico,
} from './spend.ts';
import {
  gaussianShareVariance,
  rhoOfShare,
  rhoPicoForEpsilon,
  roundSpend,
  type RoundNoise,
} from './mechanism.ts';
import { zcdpEpsilon } from './zcdp.ts';

/**
 * Exact spends and their reading as (epsilon, delta) (docs/privacy.md "Accounting in rho and
 * epsilon"), and the Gaussian shares' sizing against the central Gaussian.
 */
describe('privacy spend', () => {
  it('keeps pure releases exact: ten of 0.1 are 1, and their rho is the exact sum of eps^2/2', () => {
    const ten = addSpend(...new Array(10).fill(pureSpend(100_000)));
    expect(ten.pureMicro).toBe(1_000_000);
    expect(ten.pureRhoPico).toBe(10n * 5_000_000_000n);
    expect(spendEpsilonMicro(ten, 1e-7)).toBe(1_000_000);
    // ceil(m^2 / 2) for odd m: 3^2/2 = 4.5 -> 5 pico-rho, never rounded down.
    expect(pureSpend(3).pureRhoPico).toBe(5n);
  });

  it('reads many small pure releases through zCDP when that is tighter than their sum', () => {
    const many = addSpend(...new Array(400).fill(pureSpend(10_000))); // 400 x 0.01 = 4
    const viaRho = Math.ceil(zcdpEpsilon(400 * 0.00005, 1e-7) * 1e6);
    expect(viaRho).toBeLessThan(4_000_000);
    expect(spendEpsilonMicro(many, 1e-7)).toBe(Math.min(4_000_000, viaRho));
  });

  it('composes Gaussian releases in rho and converts them once (CKS20), never below the reference', () => {
    const r = rhoPicoForEpsilon(1_000_000, 1e-7);
    const three = addSpend(gaussianSpend(r), gaussianSpend(r), gaussianSpend(r));
    expect(spendRhoPico(three)).toBe(3n * r);
    const reference = zcdpEpsilon((3 * Number(r)) / 1e12, 1e-7);
    const read = spendEpsilonMicro(three, 1e-7) / 1e6;
    expect(read).toBeGreaterThanOrEqual(reference);
    expect(read - reference).toBeLessThan(2e-6);
    // Three (1, 1e-7) Gaussian releases are far below the 3 of pure composition.
    expect(read).toBeLessThan(2);
  });

  it('mixes both: pure epsilon plus the Gaussian rho converted, or everything as rho, whichever is smaller', () => {
    const r = rhoPicoForEpsilon(500_000, 1e-7);
    const mixed = addSpend(pureSpend(1_000_000), gaussianSpend(r));
    const a = 1_000_000 + Math.ceil(zcdpEpsilon(Number(r) / 1e12, 1e-7) * 1e6);
    expect(spendEpsilonMicro(mixed, 1e-7)).toBeLessThanOrEqual(a);
    expect(spendEpsilonMicro(mixed, 1e-7)).toBeGreaterThan(a - 2);
  });

  it('formats pico-rho exactly', () => {
    expect(formatRhoPico(4_500_000_000n)).toBe('0.0045');
    expect(formatRhoPico(2_000_000_000_000n)).toBe('2');
    expect(formatRhoPico(1n)).toBe('0.000000000001');
  });
});

describe('round noise', () => {
  const gaussian = (contributors: number): RoundNoise => ({
    mechanism: 'distributed-gaussian',
    delta: 1e-7,
    unitEpsilonMicro: 1_000_000,
    contributors,
  });

  it('reads a unit of epsilon 1 at delta 1e-7 as the largest rho within it', () => {
    const r = Number(rhoPicoForEpsilon(1_000_000, 1e-7)) / 1e12;
    expect(zcdpEpsilon(r, 1e-7)).toBeLessThanOrEqual(1);
    expect(zcdpEpsilon(r * 1.0001, 1e-7)).toBeGreaterThan(1 - 1e-4);
  });

  it('charges Laplace rounds in epsilon and Gaussian rounds in rho rounded up', () => {
    expect(roundSpend({ mechanism: 'distributed-laplace', contributors: 3 }, 250_000)).toEqual(
      pureSpend(250_000)
    );
    const g = gaussian(3);
    if (g.mechanism !== 'distributed-gaussian') throw new Error('unreachable');
    const exact = rhoOfShare(g, 333_333);
    const charged = roundSpend(g, 333_333).gaussianRhoPico;
    expect(charged * exact.den).toBeGreaterThanOrEqual(exact.num * 1_000_000_000_000n);
    expect((charged - 1n) * exact.den).toBeLessThan(exact.num * 1_000_000_000_000n);
  });

  it('sizes T Gaussian shares to carry the central variance Delta^2 / (2 rho) (large variance: no overhead)', () => {
    for (const t of [3, 5, 10]) {
      const g = gaussian(t);
      if (g.mechanism !== 'distributed-gaussian') throw new Error('unreachable');
      const block = { sensitivity: 100n, epsilonMicro: 500_000, length: 4 };
      const share = gaussianShareVariance(block, g);
      const rho = rhoOfShare(g, 500_000);
      const central = (100 * 100) / (2 * (Number(rho.num) / Number(rho.den)));
      const sum = (t * Number(share?.num)) / Number(share?.den);
      expect(sum / central).toBeGreaterThanOrEqual(1);
      expect(sum / central).toBeLessThan(1.0001);
    }
    // An L2 bound below the L1 one is what the Gaussian uses.
    const g = gaussian(3);
    if (g.mechanism !== 'distributed-gaussian') throw new Error('unreachable');
    const l1 = gaussianShareVariance({ sensitivity: 100n, epsilonMicro: 500_000, length: 4 }, g);
    const l2 = gaussianShareVariance(
      { sensitivity: 100n, l2Sensitivity: 50n, epsilonMicro: 500_000, length: 4 },
      g
    );
    const value = (f: typeof l1) => Number(f?.num) / Number(f?.den);
    expect(value(l2) / value(l1)).toBeCloseTo(0.25, 4);
    expect(gaussianShareVariance({ sensitivity: 0n, epsilonMicro: 1, length: 1 }, g)).toBeNull();
  });
});
