import { describe, expect, it } from 'vitest';
import { layoutOf, SegmentQuerySchema } from '@fedmark/protocol';
import { aggregateNoiseVariance, noiseNote } from './noise.ts';

/**
 * Independent restatement of docs/privacy.md: Var = 2a/(1-a)^2 with a = exp(-epsilon/sensitivity).
 */
const reference = (sensitivity: number, epsilon: number) => {
  const a = Math.exp(-epsilon / sensitivity);
  return (2 * a) / (1 - a) ** 2;
};

describe('aggregate noise variance', () => {
  const q = SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 1,
    dimensions: [{ field: 'nes_status', categories: ['new', 'E0'] }],
    measures: [{ field: 'monetary', lower: 0, upper: 100 }],
  });
  const layout = layoutOf(q);

  it('adds one full discrete Laplace variance per contributor per slot, block by block', () => {
    const v = aggregateNoiseVariance(layout, 3, true);
    for (const b of layout.blocks) {
      const want = 3 * reference(Number(b.sensitivity), b.epsilonMicro / 1e6);
      for (let i = b.offset; i < b.offset + b.length; i++) expect(v[i]).toBeCloseTo(want, 6);
    }
    expect(reference(1, 0.5)).toBeCloseTo(7.8354, 3);
  });

  it('distributed Laplace: n Polya shares sized for T carry n/T of one central variance', () => {
    const v = aggregateNoiseVariance(layout, 5, true, {
      mechanism: 'distributed-laplace',
      contributors: 3,
    });
    for (const b of layout.blocks) {
      const want = (5 / 3) * reference(Number(b.sensitivity), b.epsilonMicro / 1e6);
      for (let i = b.offset; i < b.offset + b.length; i++) expect(v[i]).toBeCloseTo(want, 6);
    }
    expect(noiseNote({ mechanism: 'distributed-laplace', contributors: 3 }, true, 3, 1e6)).toMatch(
      /carries exactly the noise of one central discrete Laplace release at epsilon 1/
    );
    expect(noiseNote({ mechanism: 'distributed-laplace', contributors: 3 }, true, 5, 1e6)).toMatch(
      /carries 1\.67 times the noise variance of one central/
    );
  });

  it('is zero everywhere when noise was off (test-only mode)', () => {
    expect(aggregateNoiseVariance(layout, 3, false)).toEqual(new Array(layout.length).fill(0));
  });
});
