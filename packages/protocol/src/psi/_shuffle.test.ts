import { describe, expect, it } from 'vitest';
import { type RandomWords, shuffleInPlace } from './_shuffle.ts';

/** A scripted RNG: hands out `words` in order, then zeros. */
function scripted(words: number[]): RandomWords {
  let i = 0;
  return (out) => {
    for (let k = 0; k < out.length; k++) out[k] = words[i++] ?? 0;
  };
}

describe('shuffleInPlace', () => {
  it('is Fisher-Yates: the scripted words pick j = w mod (i+1) from the end', () => {
    // i=3: 5 % 4 = 1 -> swap 3,1 ; i=2: 7 % 3 = 1 -> swap 2,1 ; i=1: 2 % 2 = 0 -> swap 1,0
    expect(shuffleInPlace(['a', 'b', 'c', 'd'], scripted([5, 7, 2]))).toEqual(['c', 'a', 'd', 'b']);
  });

  it('rejects words that would bias the index', () => {
    // For bound 3, 2^32 % 3 = 1, so 0xffffffff is the one rejected word: i=2 uses 4 % 3 = 1
    // (swap 2,1), i=1 uses 1 % 2 = 1 (no swap). Using the rejected word would give b,c,a.
    expect(shuffleInPlace(['a', 'b', 'c'], scripted([0xffffffff, 4, 1]))).toEqual(['a', 'c', 'b']);
  });

  it('returns a permutation and leaves tiny arrays alone', () => {
    const xs = Array.from({ length: 2000 }, (_, i) => i);
    const ys = shuffleInPlace([...xs]);
    expect([...ys].sort((p, q) => p - q)).toEqual(xs);
    expect(ys).not.toEqual(xs); // probability 1/2000! of a false failure
    expect(shuffleInPlace([])).toEqual([]);
    expect(shuffleInPlace([7])).toEqual([7]);
  });

  it('makes every permutation of 4 equally likely (chi-square, 24 bins)', () => {
    const counts = new Map<string, number>();
    const runs = 4800;
    for (let r = 0; r < runs; r++) {
      const k = shuffleInPlace([0, 1, 2, 3]).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    const expected = runs / 24;
    let chi2 = 0;
    for (const c of counts.values()) chi2 += (c - expected) ** 2 / expected;
    // docs rule for goodness of fit: reject above df + 6 sqrt(2 df), df = 23.
    expect(chi2).toBeLessThan(23 + 6 * Math.sqrt(46));
  });
});
