import { describe, expect, it } from 'vitest';
import { layoutOf, dimensionLabels, OTHER_CELL, MISSING_CELL } from './layout.ts';
import { SegmentQuerySchema } from './schemas/segment-query.ts';

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '1998-07-01',
  epsilon: 1,
} as const;

describe('layoutOf', () => {
  it('builds cells as the cartesian product of dimension labels, with other/missing cells', () => {
    const q = SegmentQuerySchema.parse({
      ...base,
      dimensions: [
        { field: 'lifecycle_stage', categories: ['intro', 'growth'] },
        { field: 'monetary', edges: [0, 100] },
      ],
    });
    const l = layoutOf(q);
    expect(dimensionLabels(q.dimensions[1]!)).toEqual(['<0', '[0,100)', '>=100', MISSING_CELL]);
    expect(l.cells.length).toBe(3 * 4);
    expect(l.cells[0]).toEqual(['intro', '<0']);
    expect(l.cells[11]).toEqual([OTHER_CELL, MISSING_CELL]);
    expect(l.blocks.map((b) => [b.name, b.offset, b.length])).toEqual([
      ['count', 0, 12],
      ['total', 12, 1],
    ]);
    expect(l.length).toBe(13);
  });

  it('derives sensitivities from clipping bounds, scale and rows per customer', () => {
    const q = SegmentQuerySchema.parse({
      ...base,
      unit: 'touch',
      maxRowsPerCustomer: 3,
      measures: [
        { field: 'amount', lower: -5, upper: 20, scale: 100, squares: true, squareScale: 10 },
      ],
    });
    const l = layoutOf(q);
    const byName = Object.fromEntries(l.blocks.map((b) => [b.name, b]));
    expect(byName['count']!.sensitivity).toBe(3n);
    expect(byName['sum:amount']!.sensitivity).toBe(3n * 2000n);
    expect(byName['sumsq:amount']!.sensitivity).toBe(3n * 200n * 200n);
    expect(byName['sumsq:amount']!.scale).toBe(100);
  });

  it('splits epsilon exactly by the declared weights', () => {
    const q = SegmentQuerySchema.parse({
      ...base,
      epsilon: 0.5,
      measures: [{ field: 'monetary', lower: 0, upper: 1000 }],
      epsilonWeights: { count: 2 },
    });
    const shares = layoutOf(q).blocks.map((b) => b.epsilonMicro);
    expect(shares).toEqual([250000, 125000, 125000]);
    expect(shares.reduce((s, x) => s + x, 0)).toBe(500000);
  });

  it('changes the hash when anything in the layout changes, not when the query name does', () => {
    const a = SegmentQuerySchema.parse({
      ...base,
      dimensions: [{ field: 'nes_status', categories: ['new', 'E0'] }],
    });
    const b = SegmentQuerySchema.parse({
      ...base,
      dimensions: [{ field: 'nes_status', categories: ['new', 'E1'] }],
    });
    const c = SegmentQuerySchema.parse({
      ...base,
      name: 'renamed',
      dimensions: [{ field: 'nes_status', categories: ['new', 'E0'] }],
    });
    expect(layoutOf(a).hash).toMatch(/^[0-9a-f]{64}$/);
    expect(layoutOf(a).hash).not.toBe(layoutOf(b).hash);
    expect(layoutOf(a).hash).toBe(layoutOf(c).hash);
  });

  it('refuses an epsilon weight for a block that does not exist', () => {
    const q = SegmentQuerySchema.parse({ ...base, epsilonWeights: { 'sum:nope': 2 } });
    expect(() => layoutOf(q)).toThrow('epsilonWeights names unknown block "sum:nope"');
  });
});

describe('SegmentQuerySchema', () => {
  it('names the path of each problem', () => {
    const r = SegmentQuerySchema.safeParse({
      ...base,
      asOf: '1998-02-30',
      dimensions: [{ field: 'rfm_class', categories: ['R+F+M+'] }],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('asOf');
    expect(paths).toContain('params.rfm.means');
  });

  it('refuses a customer-unit query with more than one row per customer', () => {
    const r = SegmentQuerySchema.safeParse({ ...base, maxRowsPerCustomer: 2 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['maxRowsPerCustomer']);
  });
});
