import { describe, expect, it } from 'vitest';
import { layoutOf, SegmentQuerySchema } from '@fedmark/protocol';
import { aggregateNoiseVariance, discreteLaplaceVariance } from './noise.ts';

describe('discrete Laplace noise variance', () => {
  it('matches 2a/(1-a)^2 with a = exp(-epsilon/sensitivity): about 7.835 (std 2.8) at epsilon 0.5', () => {
    const a = Math.exp(-0.5);
    expect(discreteLaplaceVariance(1n, 0.5)).toBeCloseTo((2 * a) / (1 - a) ** 2, 12);
    expect(discreteLaplaceVariance(1n, 0.5)).toBeCloseTo(7.8354, 3);
    expect(discreteLaplaceVariance(10, 5)).toBeCloseTo(discreteLaplaceVariance(1, 0.5), 12);
    expect(() => discreteLaplaceVariance(1, 0)).toThrow(RangeError);
  });

  it('adds one full variance per contributor per slot, block by block; zero when noise is off', () => {
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
    const v = aggregateNoiseVariance(layout, 3, true);
    const sum = layout.blocks.find((b) => b.name === 'sum:monetary')!;
    expect(v[sum.offset]).toBeCloseTo(3 * discreteLaplaceVariance(sum.sensitivity, sum.epsilonMicro / 1e6), 9);
    expect(v[0]).toBeCloseTo(3 * discreteLaplaceVariance(1n, layout.blocks[0]!.epsilonMicro / 1e6), 9);
    expect(aggregateNoiseVariance(layout, 3, false)).toEqual(new Array(layout.length).fill(0));
  });
});
