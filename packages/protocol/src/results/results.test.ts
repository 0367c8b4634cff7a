/**
 * Post-processing on small hand-computed examples: interval arithmetic, the delta method for
 * means and rates, noise variances of a layout, A/B summaries.
 */
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../layout.ts';
import { SegmentQuerySchema } from '../schemas/segment-query.ts';
import { abTestSummary, interpretVector, layoutNoiseVariance, twoSidedPValue } from './index.ts';

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2024-07-01',
  epsilon: 1,
} as const;

describe('interpretVector', () => {
  // Cells A, B, __other__; blocks count(3) total(1) sum:x(3, scale 10) sumsq:x(3, scale 1).
  const layout = layoutOf(
    SegmentQuerySchema.parse({
      ...base,
      dimensions: [{ field: 'variant', categories: ['A', 'B'] }],
      measures: [{ field: 'x', lower: 0, upper: 10, scale: 10, squares: true }],
    })
  );
  const values = [4n, 2n, 0n, 6n, 100n, 30n, 0n, 30n, 5n, 0n];
  const variance = [4, 4, 4, 9, 400, 400, 400, 0, 0, 0];
  const r = interpretVector(layout, values, variance, { dimensions: ['variant'] });

  it('reads counts and sums with estimate ± 1.96 sd, in field units', () => {
    expect(r.measures).toEqual(['x']);
    expect(r.total).toEqual({ estimate: 6, sd: 3, low: 6 - 5.88, high: 6 + 5.88, raw: 6 });
    const a = r.cells[0];
    expect(a?.labels).toEqual(['A']);
    expect(a?.count.estimate).toBe(4);
    expect(a?.count.low).toBeCloseTo(0.08, 12);
    expect(a?.count.high).toBeCloseTo(7.92, 12);
    // sum slot 100 at scale 10 -> 10.0; variance 400 / 10^2 = 4 -> sd 2.
    expect(a?.measures['x']?.sum).toEqual({
      estimate: 10,
      sd: 2,
      low: 10 - 3.92,
      high: 10 + 3.92,
      raw: 10,
    });
  });

  it('gives means a delta-method variance over both noises: Var(S)/C^2 + S^2 Var(C)/C^4', () => {
    // A: 4/16 + 100*4/256 = 1.8125; B: sum 3, count 2 -> 4/4 + 9*4/16 = 3.25.
    expect(r.cells[0]?.measures['x']?.mean?.estimate).toBe(2.5);
    expect(r.cells[0]?.measures['x']?.mean?.sd).toBeCloseTo(1.346291201783626, 12);
    expect(r.cells[1]?.measures['x']?.mean?.estimate).toBe(1.5);
    expect(r.cells[1]?.measures['x']?.mean?.sd).toBeCloseTo(1.8027756377319946, 12);
    expect(r.cells[2]?.measures['x']?.mean).toBeNull(); // count 0
  });

  it('derives the within-cell spread from sums of squares', () => {
    // A: sqrt(30/4 - 2.5^2) = sqrt(1.25); B: sqrt(5/2 - 1.5^2) = 0.5.
    expect(r.cells[0]?.measures['x']?.spread).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(r.cells[1]?.measures['x']?.spread).toBe(0.5);
    expect(r.cells[0]?.measures['x']?.sumOfSquares).toEqual({
      estimate: 30,
      sd: 0,
      low: 30,
      high: 30,
      raw: 30,
    });
    expect(r.cells[2]?.measures['x']?.spread).toBeNull();
  });

  it('is JSON-ready and refuses vectors that do not fit the layout', () => {
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(() => interpretVector(layout, values.slice(1), variance)).toThrow(
      new RangeError('"values" expected length 10 (layout length), got 9')
    );
    expect(() => interpretVector(layout, values, [...variance.slice(1), -1])).toThrow(
      /"noiseVariance\[9\]" expected a finite non-negative number, got -1/
    );
    expect(() => interpretVector(layout, values, variance, { dimensions: ['a', 'b'] })).toThrow(
      /names 2 fields but the layout has 1 dimensions/
    );
  });
});

describe('layoutNoiseVariance', () => {
  it('is 2a/(1-a)^2 per block with a = exp(-epsilon/sensitivity), times the contributions', () => {
    // epsilon 1 split over count and total: 0.5 each, sensitivity 1 -> a = e^-0.5 -> 7.835396...
    const l = layoutOf(SegmentQuerySchema.parse(base));
    expect(layoutNoiseVariance(l)[0]).toBeCloseTo(7.835396178065527, 10);
    expect(layoutNoiseVariance(l, 3)[1]).toBeCloseTo(3 * 7.835396178065527, 10);
    expect(() => layoutNoiseVariance(l, -1)).toThrow(RangeError);
  });
});

describe('abTestSummary', () => {
  const layout = layoutOf(
    SegmentQuerySchema.parse({
      ...base,
      unit: 'assignment',
      dimensions: [{ field: 'variant', categories: ['A', 'B'] }],
      measures: [
        { field: 'exposed', lower: 0, upper: 1 },
        { field: 'converted', lower: 0, upper: 1 },
      ],
    })
  );
  // count [1000, 1000, 0], total, exposed [1000, 1000, 0], converted [100, 150, 0].
  const values = [1000n, 1000n, 0n, 2000n, 1000n, 1000n, 0n, 100n, 150n, 0n];

  it('gives rates, difference, lift and p-value from binomial sampling variance when exact', () => {
    const s = abTestSummary(
      interpretVector(layout, values, new Array(10).fill(0), { dimensions: ['variant'] }),
      { variantDimension: 'variant', controlVariant: 'A' }
    );
    expect(s.exposed).toBe('exposed');
    const [a, b, other] = s.groups[0]?.variants ?? [];
    // A: 0.1, var 0.1*0.9/1000 = 9e-5. B: 0.15, var 0.15*0.85/1000 = 1.275e-4.
    expect(a?.rate?.estimate).toBeCloseTo(0.1, 15);
    expect(a?.rate?.sd).toBeCloseTo(Math.sqrt(9e-5), 15);
    expect(a?.difference).toBeNull();
    expect(b?.difference?.estimate).toBeCloseTo(0.05, 15);
    expect(b?.difference?.sd).toBeCloseTo(Math.sqrt(2.175e-4), 15);
    // lift 0.5, var 1.275e-4/0.01 + 0.15^2 * 9e-5 / 0.1^4 = 0.033.
    expect(b?.lift?.estimate).toBeCloseTo(0.5, 12);
    expect(b?.lift?.sd).toBeCloseTo(0.1816590212458495, 12);
    expect(b?.pValue).toBeCloseTo(0.0006981171463178035, 6);
    expect(other?.variant).toBe('__other__');
    expect(other?.rate).toBeNull();
  });

  it('adds the DP noise of conversions and exposures to each rate', () => {
    // noise variance 4 on every exposed and converted slot: A adds 4/1000^2 + 100^2*4/1000^4.
    const variance = [0, 0, 0, 0, 4, 4, 4, 4, 4, 4];
    const s = abTestSummary(interpretVector(layout, values, variance), {
      variantDimension: 0,
      controlVariant: 'A',
    });
    expect(s.groups[0]?.variants[0]?.rate?.sd).toBeCloseTo(Math.sqrt(9e-5 + 4e-6 + 4e-8), 15);
  });

  it('falls back to the cell count for exposures and refuses unknown names', () => {
    const r = interpretVector(layout, values, new Array(10).fill(0));
    expect(
      abTestSummary(r, { variantDimension: 0, controlVariant: 'A', exposed: 'count' }).groups[0]
        ?.variants[1]?.rate?.estimate
    ).toBeCloseTo(0.15, 15);
    expect(() => abTestSummary(r, { variantDimension: 'variant', controlVariant: 'A' })).toThrow(
      /interpretVector was given no dimension names/
    );
    expect(() => abTestSummary(r, { variantDimension: 0, controlVariant: 'C' })).toThrow(
      /"controlVariant" "C" is not a label/
    );
    expect(() =>
      abTestSummary(r, { variantDimension: 0, controlVariant: 'A', converted: 'bought' })
    ).toThrow(/"converted" measure "bought" is not in the result/);
  });

  it('splits the test by a segment dimension', () => {
    const l = layoutOf(
      SegmentQuerySchema.parse({
        ...base,
        unit: 'assignment',
        dimensions: [
          { field: 'variant', categories: ['A', 'B'] },
          { field: 'lifecycle_stage', categories: ['growth'] },
        ],
        measures: [{ field: 'converted', lower: 0, upper: 1 }],
      })
    );
    // cells A/growth, A/other, B/growth, B/other, other/growth, other/other; exposures from count.
    const v = [10n, 20n, 10n, 20n, 0n, 0n, 60n, 1n, 4n, 3n, 2n, 0n, 0n];
    const s = abTestSummary(
      interpretVector(l, v, new Array(13).fill(0), { dimensions: ['variant', 'lifecycle_stage'] }),
      {
        variantDimension: 'variant',
        controlVariant: 'A',
        segmentDimension: 'lifecycle_stage',
      }
    );
    expect(s.exposed).toBe('count');
    expect(
      s.groups.map((g) => [g.segment, g.variants.map((x) => x.rate?.estimate ?? null)])
    ).toEqual([
      ['growth', [0.1, 0.3, null]],
      ['__other__', [0.2, 0.1, null]],
    ]);
    expect(s.groups[1]?.variants[1]?.difference?.estimate).toBeCloseTo(-0.1, 15);
  });

  it('computes normal two-sided p-values', () => {
    expect(twoSidedPValue(0)).toBeCloseTo(1, 6);
    expect(twoSidedPValue(1.96)).toBeCloseTo(0.04999579029644087, 6);
    expect(twoSidedPValue(-1.96)).toBeCloseTo(0.04999579029644087, 6);
  });
});
