import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { auc } from '@fedmark/protocol';
import { pairedAucComparison } from './auc-comparison.ts';

/** DeLong's variance of aucA - aucB straight from the definition, O(m n): the reference. */
function bruteForce(a: number[], b: number[], y: boolean[]) {
  const psi = (x: number, z: number): number => (x > z ? 1 : x === z ? 0.5 : 0);
  const pos = y.flatMap((v, i) => (v ? [i] : []));
  const neg = y.flatMap((v, i) => (v ? [] : [i]));
  const v10 = (s: number[]) =>
    pos.map((i) => neg.reduce((t, j) => t + psi(s[i] as number, s[j] as number), 0) / neg.length);
  const v01 = (s: number[]) =>
    neg.map((j) => pos.reduce((t, i) => t + psi(s[i] as number, s[j] as number), 0) / pos.length);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const cov = (u: number[], w: number[]) => {
    const mu = mean(u);
    const mw = mean(w);
    return u.reduce((s, x, i) => s + (x - mu) * ((w[i] as number) - mw), 0) / (u.length - 1);
  };
  const [pa, pb, na, nb] = [v10(a), v10(b), v01(a), v01(b)];
  const variance =
    (cov(pa, pa) + cov(pb, pb) - 2 * cov(pa, pb)) / pos.length +
    (cov(na, na) + cov(nb, nb) - 2 * cov(na, nb)) / neg.length;
  return { aucA: mean(pa), aucB: mean(pb), se: Math.sqrt(Math.max(0, variance)) };
}

describe('pairedAucComparison (DeLong 1988)', () => {
  it('equals the definition and the rank-sum AUC, ties included', () => {
    const cases = fc.sample(
      fc
        .array(
          fc.record({
            a: fc.integer({ min: 0, max: 6 }),
            b: fc.integer({ min: -3, max: 3 }),
            y: fc.boolean(),
          }),
          { minLength: 6, maxLength: 60 }
        )
        .filter((xs) => xs.filter((x) => x.y).length >= 2 && xs.filter((x) => !x.y).length >= 2),
      { numRuns: 200, seed: 7 }
    );
    for (const xs of cases) {
      const a = xs.map((x) => x.a);
      const b = xs.map((x) => x.b);
      const y = xs.map((x) => x.y);
      const c = pairedAucComparison(a, b, y);
      const ref = bruteForce(a, b, y);
      expect(c.aucA).toBeCloseTo(auc(a, y), 12);
      expect(c.aucB).toBeCloseTo(auc(b, y), 12);
      expect(c.aucA).toBeCloseTo(ref.aucA, 12);
      expect(c.differenceSe).toBeCloseTo(ref.se, 12);
      expect(c.difference).toBeCloseTo(c.aucA - c.aucB, 12);
    }
  });

  it('has no spread between a model and itself, and none between two rankings that agree', () => {
    const a = [0.1, 0.4, 0.35, 0.8, 0.7, 0.2];
    const y = [0, 0, 1, 1, 1, 0];
    const same = pairedAucComparison(a, a, y);
    expect(same.difference).toBe(0);
    expect(same.differenceSe).toBe(0);
    // A monotone transform ranks alike: the same AUC, no difference to estimate.
    const logit = pairedAucComparison(
      a,
      a.map((p) => Math.log(p / (1 - p))),
      y
    );
    expect(logit.difference).toBe(0);
    expect(logit.differenceSe).toBe(0);
    expect(same).toMatchObject({ positives: 3, negatives: 3 });
  });

  it('reports an infinite spread with one customer of a label, and refuses none', () => {
    expect(pairedAucComparison([1, 2, 3], [3, 2, 1], [0, 0, 1]).differenceSe).toBe(
      Number.POSITIVE_INFINITY
    );
    expect(() => pairedAucComparison([1, 2], [1, 2], [1, 1])).toThrow(RangeError);
    expect(() => pairedAucComparison([1, 2], [1], [1, 0])).toThrow(
      '"a", "b" and "labels" expected one length, got 2, 1, 2'
    );
    expect(() => pairedAucComparison([1, Number.NaN], [1, 2], [1, 0])).toThrow(
      'score 1 is not finite'
    );
  });
});
