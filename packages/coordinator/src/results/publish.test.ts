import { describe, expect, it } from 'vitest';
import { SegmentQuerySchema, layoutOf } from '@fedmark/protocol';
import { buildRoundResult } from './publish.ts';

describe('buildRoundResult', () => {
  const q = SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-31',
    epsilon: 1,
    dimensions: [{ field: 'nes_status', categories: ['new'] }],
    measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
  });
  const layout = layoutOf(q);
  // Cells new, __other__: count [-3, 400], total 397, sum:monetary (cents) [-12000, 4000000].
  const values = [-3n, 400n, 397n, -12_000n, 4_000_000n];
  const r = buildRoundResult({
    jobId: 'j-0123456789abcdef',
    round: 0,
    name: 'lifecycle',
    layout,
    values,
    contributors: ['a', 'b', 'c'],
    epsilonPerNode: 1,
    noise: 'off-test-only',
    publishedAt: '2026-02-01T00:00:00.000Z',
    dimensions: ['nes_status'],
    measures: q.measures,
  });

  it('flattens the post-processed interpretation: projected counts and sums with raw, judged means', () => {
    expect(r.cells.map((c) => `${c.block} ${c.labels.join('/')}`)).toEqual([
      'count new',
      'count __other__',
      'total ',
      'sum:monetary new',
      'sum:monetary __other__',
      'mean:monetary __other__',
    ]);
    expect(r.cells[0]).toEqual({
      labels: ['new'],
      block: 'count',
      estimate: 0,
      noiseStd: 0,
      ci95: [0, 0],
      raw: -3,
    });
    expect(r.cells[3]).toEqual({
      labels: ['new'],
      block: 'sum:monetary',
      estimate: 0,
      noiseStd: 0,
      ci95: [0, 0],
      raw: -120,
    });
    expect(r.cells[5]).toEqual({
      labels: ['__other__'],
      block: 'mean:monetary',
      estimate: 100,
      noiseStd: 0,
      ci95: [100, 100],
      raw: 100,
      unreliable: false,
      reason: null,
    });
    const seg = r.interpretation as { cells: { count: { estimate: number; raw: number } }[] };
    expect(seg.cells[0]?.count).toMatchObject({ estimate: 0, raw: -3 });
  });
});
