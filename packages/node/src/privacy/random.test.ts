import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { randomBelow, randomBelowNumber, randomBit } from './random.ts';
import { bernoulliExpMinus } from './bernoulli.ts';

describe('randomBelow', () => {
  it('is uniform over [0, 7): chi-square over 70k draws below df + 6 sqrt(2 df)', () => {
    const n = 70_000;
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < n; i++) {
      counts[Number(randomBelow(7n))]! += 1;
    }
    expect(counts.reduce((s, c) => s + c, 0)).toBe(n);
    const chi2 = counts.reduce((s, o) => s + (o - n / 7) ** 2 / (n / 7), 0);
    expect(chi2).toBeLessThan(6 + 6 * Math.sqrt(12));
  });

  it('has no modulo bias for n = 3 * 2^30 (where w % n would favour the low third 2:1)', () => {
    const n = 3 * 2 ** 30;
    let low = 0;
    const draws = 30_000;
    for (let i = 0; i < draws; i++) if (randomBelowNumber(n) < 2 ** 30) low++;
    // Unbiased: P = 1/3. With plain w % n it would be 1/2.
    expect(Math.abs(low / draws - 1 / 3)).toBeLessThan(5 * Math.sqrt(((1 / 3) * (2 / 3)) / draws));
  });

  it('covers large bigint ranges: n = 2^70 + 12345, half the draws below n / 2', () => {
    const n = 2n ** 70n + 12345n;
    let below = 0;
    let outside = 0;
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const x = randomBelow(n);
      if (x < 0n || x >= n) outside++;
      if (x < n / 2n) below++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(below - draws / 2)).toBeLessThan(5 * Math.sqrt(draws / 4));
  });

  it('returns 0 for n = 1 and refuses n < 1', () => {
    expect(randomBelow(1n)).toBe(0n);
    expect(() => randomBelow(0n)).toThrow(RangeError);
    expect(() => randomBelowNumber(0)).toThrow(RangeError);
    expect(() => randomBelowNumber(1.5)).toThrow(/safe integer/);
  });

  it('randomBit is a fair coin', () => {
    let ones = 0;
    for (let i = 0; i < 40_000; i++) ones += randomBit();
    expect(Math.abs(ones - 20_000)).toBeLessThan(5 * 100);
  });
});

describe('bernoulliExpMinus', () => {
  const cases: [bigint, bigint][] = [
    [1n, 2n],
    [5n, 2n],
    [1n, 1n],
    [7n, 3n],
  ];
  for (const [num, den] of cases) {
    it(`Bernoulli(exp(-${num}/${den})) frequency within 5 sigma over 60k trials`, () => {
      const n = 60_000;
      let hits = 0;
      for (let i = 0; i < n; i++) if (bernoulliExpMinus(num, den)) hits++;
      const p = Math.exp(-Number(num) / Number(den));
      expect(Math.abs(hits / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    });
  }

  it('gamma = 0 always succeeds; a bigint gamma beyond 2^53 matches exp(-0.5)', () => {
    for (let i = 0; i < 100; i++) expect(bernoulliExpMinus(0n, 9n)).toBe(true);
    const den = 2n ** 60n;
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (bernoulliExpMinus(den / 2n, den)) hits++;
    const p = Math.exp(-0.5);
    expect(Math.abs(hits / 20_000 - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / 20_000));
  });

  it('refuses negative gamma and a zero denominator', () => {
    expect(() => bernoulliExpMinus(-1n, 2n)).toThrow(RangeError);
    expect(() => bernoulliExpMinus(1n, 0n)).toThrow(RangeError);
  });
});

describe('sampling code hygiene (no Math.random, no float inverse CDF)', () => {
  it('no Math.random and no logarithm anywhere in the privacy sources', () => {
    const dir = new URL('.', import.meta.url);
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources).toContain('discrete-laplace.ts');
    for (const f of sources) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      expect(text, f).not.toMatch(/Math\.random/);
      // Sampling files must not use float logs (the Mironov-vulnerable inverse CDF).
      if (['random.ts', 'bernoulli.ts', 'discrete-laplace.ts', 'noise.ts'].includes(f)) {
        expect(text, f).not.toMatch(/Math\.log/);
      }
    }
  });
});
