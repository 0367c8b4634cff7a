import { describe, expect, it } from 'vitest';
import { layoutOf } from '../layout.ts';
import { SegmentQuerySchema } from '../schemas/segment-query.ts';
import { formatEstimate, interpretVector, segmentLabel, segmentTable, textTable } from './index.ts';

describe('textTable', () => {
  it('pads columns, right-aligns numeric ones and trims line ends', () => {
    expect(
      textTable(
        ['name', 'n'],
        [
          ['a', 1],
          ['bbb', 22],
        ]
      )
    ).toBe('name   n\n----  --\na      1\nbbb   22');
    expect(
      textTable(
        ['cell', 'mean'],
        [
          ['x', '5,762 ± 15,687 †'],
          ['yy', '-'],
        ]
      )
    ).toBe(
      'cell              mean\n----  ----------------\nx     5,762 ± 15,687 †\nyy                   -'
    );
    expect(
      textTable(
        ['when', 'what'],
        [
          ['2026-01-01', 'a'],
          ['2026-01-02', 'bb'],
        ],
        { align: ['left', 'right'] }
      )
    ).toBe('when        what\n----------  ----\n2026-01-01     a\n2026-01-02    bb');
  });
});

describe('segmentTable', () => {
  const q = SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2024-07-01',
    epsilon: 1,
    dimensions: [{ field: 'rfm_class', categories: ['R+F+M+', 'R-F-M-'] }],
    measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
    params: { rfm: { means: { recency: 368, frequency: 2.96, monetary: 106 } } },
  });
  const layout = layoutOf(q);
  // count [1500, 14, 0], total 1514, sum:monetary (cents) [15912060, 8066800, 0].
  const values = [1500n, 14n, 0n, 1514n, 15_912_060n, 8_066_800n, 0n];
  // count noise variance 4 (sd 2), sum noise variance 1e8 cents^2 (sd 100 dollars). The mean of
  // R-F-M- is 80668 / 14 = 5762 > upper 5000, so it shows clamped, with the delta-method
  // half-width 1.96 sqrt(1e4/14^2 + 80668^2 * 4/14^4) = 1,613.
  const variance = [4, 4, 4, 4, 1e8, 1e8, 1e8];
  const seg = interpretVector(layout, values, variance, {
    dimensions: ['rfm_class'],
    measures: q.measures,
  });

  it('names RFM classes, formats figures, marks unreliable means and hides empty cells', () => {
    expect(segmentLabel('R-F-M-')).toBe('R-F-M- general retain');
    expect(segmentLabel('growth')).toBe('growth');
    const t = segmentTable(seg, { hideEmpty: true });
    expect(t.table).toBe(
      [
        'rfm_class                   count    mean monetary',
        '----------------------  ---------  ---------------',
        'R+F+M+ important value  1,500 ± 4      106 ± 0.306',
        'R-F-M- general retain      14 ± 4  5,000 ± 1,613 †',
      ].join('\n')
    );
    expect(t.notes).toEqual([
      '1 cell(s) released as exactly 0 (suppressed at every node, or empty) are not shown.',
      '† unreliable: a noisy count under 20, a 95% interval wider than the estimate, or a noisy value outside its possible range; --json gives each reason.',
      'Counts and sums that cannot be negative are shown projected to 0 or more, and means clamped into their clipping bounds; --json keeps each released value as "raw".',
    ]);
    expect(seg.cells[1]?.measures['monetary']?.mean).toMatchObject({
      raw: 5762,
      unreliable: true,
      reason: 'count 14 is under 20',
    });
  });

  it('adds sum columns and shows cells a node suppressed', () => {
    const t = segmentTable(seg, { sums: true, suppressed: (c) => c.index === 2 });
    expect(t.table.split('\n')).toEqual([
      'rfm_class                    count   sum monetary    mean monetary',
      '----------------------  ----------  -------------  ---------------',
      'R+F+M+ important value   1,500 ± 4  159,121 ± 196      106 ± 0.306',
      'R-F-M- general retain       14 ± 4   80,668 ± 196  5,000 ± 1,613 †',
      '__other__               suppressed              -                -',
    ]);
    expect(formatEstimate(seg.cells[0]?.measures['monetary']?.sum, 'value')).toBe('159,121 ± 196');
    expect(formatEstimate(null, 'value')).toBe('-');
  });
});
