import { describe, expect, it } from 'vitest';
import { layoutOf } from '../layout.ts';
import { SegmentQuerySchema } from '../schemas/segment-query.ts';
import { histogramQuantiles, interpretVector } from './index.ts';

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2024-07-01',
  epsilon: 1,
} as const;

describe('histogramQuantiles', () => {
  // Cells <0, [0,10), [10,20), >=20, __missing__ with counts 0, 4, 4, 2, 5 (missing left out: mass 10).
  const layout = layoutOf(
    SegmentQuerySchema.parse({
      ...base,
      dimensions: [{ field: 'recency_days', edges: [0, 10, 20] }],
    })
  );
  const r = interpretVector(layout, [0n, 4n, 4n, 2n, 5n, 15n], new Array(6).fill(0));

  it('interpolates linearly inside bins and stops at the outer edges', () => {
    // 0.2 -> mass 2 of the 4 in [0,10) -> 5; 0.5 -> 1 of 4 into [10,20) -> 12.5; 0.9 -> in >=20 -> 20.
    expect(histogramQuantiles(r, 0, [0, 0.2, 0.5, 0.8, 0.9, 1])).toEqual([0, 5, 12.5, 20, 20, 20]);
  });

  it('sums over other dimensions, treats negative noisy counts as 0, and refuses non-bin dimensions', () => {
    const l2 = layoutOf(
      SegmentQuerySchema.parse({
        ...base,
        dimensions: [
          { field: 'nes_status', categories: ['new'] },
          { field: 'frequency', edges: [1, 3] },
        ],
      })
    );
    // new: <1 -3 (noise), [1,3) 2, >=3 0, missing 0; other: <1 0, [1,3) 2, >=3 4, missing 1.
    const v = [-3n, 2n, 0n, 0n, 0n, 2n, 4n, 1n, 6n];
    const r2 = interpretVector(l2, v, new Array(9).fill(0));
    expect(histogramQuantiles(r2, 1, [0.25, 0.5])).toEqual([2, 3]); // mass 8: [1,3) holds 4, >=3 holds 4
    expect(() => histogramQuantiles(r2, 0, [0.5])).toThrow(
      /dimension 0 is not a bin dimension \(label "new"\)/
    );
    expect(() => histogramQuantiles(r2, 2, [0.5])).toThrow(RangeError);
    expect(() => histogramQuantiles(r2, 1, [1.5])).toThrow(/expected numbers in \[0, 1\], got 1.5/);
    expect(
      histogramQuantiles(
        interpretVector(layout, [0n, 0n, 0n, 0n, 3n, 3n], new Array(6).fill(0)),
        0,
        [0.5]
      )
    ).toBeNull();
  });
});
