/**
 * Post-processing of released figures (post-process.ts): projection never leaves a figure
 * negative or outside its bounds, and the unreliable flag switches exactly at its two boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../layout.ts';
import { SegmentQuerySchema } from '../schemas/segment-query.ts';
import { MIN_RELIABLE_COUNT, abTestSummary, interpretVector, projectEstimate } from './index.ts';

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2024-07-01',
  epsilon: 1,
} as const;
const measures = [
  { field: 'x', lower: 0, upper: 100, scale: 10, squares: true },
  { field: 'y', lower: -50, upper: 50 },
];
// Cells A, B, __other__; blocks count(3) total(1) sum:x(3) sumsq:x(3) sum:y(3): 13 slots.
const layout = layoutOf(
  SegmentQuerySchema.parse({
    ...base,
    dimensions: [{ field: 'variant', categories: ['A', 'B'] }],
    measures,
  })
);
const opts = { dimensions: ['variant'], measures };

/** A vector with count c, sum:x s (field units) and sum:y t in cell A, zeros elsewhere. */
function cellA(c: number, s: number, t = 0): bigint[] {
  const v = new Array<bigint>(13).fill(0n);
  v[0] = BigInt(c);
  v[3] = BigInt(c);
  v[4] = BigInt(s * 10);
  v[10] = BigInt(t);
  return v;
}

describe('projection of counts, sums and means', () => {
  it('never leaves a count, total, sum of squares, or sum or mean of a non-negative measure below 0; means stay in their bounds', () => {
    const slot = fc.bigInt({ min: -100_000n, max: 100_000n });
    fc.assert(
      fc.property(
        fc.array(slot, { minLength: 13, maxLength: 13 }),
        fc.array(fc.double({ min: 0, max: 1e8, noNaN: true }), { minLength: 13, maxLength: 13 }),
        (values, variance) => {
          const r = interpretVector(layout, values, variance, opts);
          const figures = [
            r.total,
            ...r.cells.flatMap((c) => [
              c.count,
              c.measures['x']?.sum,
              c.measures['x']?.sumOfSquares,
            ]),
          ];
          for (const e of figures) {
            expect(e?.estimate).toBeGreaterThanOrEqual(0);
            expect(e?.low).toBeGreaterThanOrEqual(0);
            expect(e?.high).toBeGreaterThanOrEqual(0);
          }
          r.cells.forEach((c, i) => {
            expect(c.count.raw).toBe(Number(values[i]));
            const mx = c.measures['x']?.mean;
            const my = c.measures['y']?.mean;
            if (mx)
              for (const v of [mx.estimate, mx.low, mx.high]) expect(v >= 0 && v <= 100).toBe(true);
            if (my)
              for (const v of [my.estimate, my.low, my.high])
                expect(v >= -50 && v <= 50).toBe(true);
            // A measure that may be negative keeps its sum as released.
            expect(c.measures['y']?.sum.estimate).toBe(Number(values[10 + i]));
            expect(c.measures['y']?.sum.raw).toBe(Number(values[10 + i]));
          });
        }
      )
    );
  });

  it('moves an estimate only towards every possible value, and keeps low <= estimate <= high', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        (x, sd, truth) => {
          const p = projectEstimate({ estimate: x, sd, low: x - 1.96 * sd, high: x + 1.96 * sd });
          expect(Math.abs(p.estimate - truth)).toBeLessThanOrEqual(Math.abs(x - truth));
          expect(p.low).toBeLessThanOrEqual(p.estimate);
          expect(p.estimate).toBeLessThanOrEqual(p.high);
          expect(p.raw).toBe(x);
          expect(p.sd).toBe(sd);
        }
      )
    );
  });

  it('clamps a negative noisy count and its interval, keeping the released value as raw', () => {
    const v = cellA(-3, 0);
    const r = interpretVector(layout, v, [4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], opts);
    expect(r.cells[0]?.count).toEqual({ estimate: 0, sd: 2, low: 0, high: -3 + 3.92, raw: -3 });
    expect(r.total).toEqual({ estimate: 0, sd: 0, low: 0, high: 0, raw: -3 });
    expect(r.cells[0]?.measures['x']?.mean).toBeNull();
  });

  it('clamps a mean into the clipping bounds and leaves sums unprojected without bounds', () => {
    // count 20, sum:x 2500 -> mean 125 > upper 100.
    const r = interpretVector(layout, cellA(20, 2500), new Array(13).fill(0), opts);
    expect(r.cells[0]?.measures['x']?.mean).toEqual({
      estimate: 100,
      sd: 0,
      low: 100,
      high: 100,
      raw: 125,
      unreliable: true,
      reason: 'noisy estimate 125 is outside its possible range [0, 100]',
    });
    const v = cellA(20, -40);
    expect(
      interpretVector(layout, v, new Array(13).fill(0), opts).cells[0]?.measures['x']?.sum.estimate
    ).toBe(0);
    expect(
      interpretVector(layout, v, new Array(13).fill(0), { dimensions: ['variant'] }).cells[0]
        ?.measures['x']?.sum.estimate
    ).toBe(-40);
  });
});

describe('the unreliable flag', () => {
  const exact = new Array<number>(13).fill(0);
  const meanOf = (v: bigint[], variance = exact, minReliableCount?: number) =>
    interpretVector(layout, v, variance, {
      ...opts,
      ...(minReliableCount === undefined ? {} : { minReliableCount }),
    }).cells[0]?.measures['x']?.mean;

  it(`marks a mean under a count of ${MIN_RELIABLE_COUNT} and not at it`, () => {
    expect(MIN_RELIABLE_COUNT).toBe(20);
    expect(meanOf(cellA(19, 190))).toMatchObject({
      estimate: 10,
      unreliable: true,
      reason: 'count 19 is under 20',
    });
    expect(meanOf(cellA(20, 200))).toMatchObject({ estimate: 10, unreliable: false, reason: null });
    expect(meanOf(cellA(19, 190), exact, 10)).toMatchObject({ unreliable: false, reason: null });
    expect(
      interpretVector(layout, cellA(19, 190), exact, { minReliableCount: 10 }).minReliableCount
    ).toBe(10);
    expect(() => meanOf(cellA(19, 190), exact, -1)).toThrow(
      new RangeError('"minReliableCount" expected a finite non-negative number, got -1')
    );
  });

  it('marks a mean outside its clipping bounds even when its interval is narrow', () => {
    // count 100, sum:x -30 with Var 25 (sd 5 at field units): mean -0.3, half-width 0.098.
    const variance = [...exact];
    variance[4] = 2_500;
    expect(meanOf(cellA(100, -30), variance)).toMatchObject({
      estimate: 0,
      raw: -0.3,
      unreliable: true,
      reason: 'noisy estimate -0.3 is outside its possible range [0, 100]',
    });
    expect(meanOf(cellA(100, 10_000), exact)).toMatchObject({
      estimate: 100,
      raw: 100,
      unreliable: false,
      reason: null,
    });
  });

  it('marks a mean whose 95% half-width exceeds it, not one whose half-width equals it', () => {
    // count 100 exact, Var(sum:x) = 2500 field units^2 (250000 at scale 10): mean sd 0.5, half-width 0.98.
    const variance = [...exact];
    variance[4] = 250_000;
    expect(meanOf(cellA(100, 98), variance)).toMatchObject({
      estimate: 0.98,
      sd: 0.5,
      unreliable: false,
      reason: null,
    });
    expect(meanOf(cellA(100, 97), variance)).toMatchObject({
      estimate: 0.97,
      unreliable: true,
      reason: '95% interval half-width 0.98 exceeds the estimate 0.97',
    });
  });

  it('marks an A/B rate under 20 exposures and clamps rates into [0, 1]', () => {
    const ab = layoutOf(
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
    // exposed [19, 400, 0], converted [25 (noise pushed it over the exposures), -4, 0].
    const values = [19n, 400n, 0n, 419n, 19n, 400n, 0n, 25n, -4n, 0n];
    const r = interpretVector(ab, values, new Array(10).fill(0), {
      dimensions: ['variant'],
      measures: [
        { field: 'exposed', lower: 0, upper: 1 },
        { field: 'converted', lower: 0, upper: 1 },
      ],
    });
    const [a, b] =
      abTestSummary(r, { variantDimension: 'variant', controlVariant: 'A' }).groups[0]?.variants ??
      [];
    expect(a?.rate).toMatchObject({
      estimate: 1,
      raw: 25 / 19,
      unreliable: true,
      reason: 'exposures 19 is under 20',
    });
    // The tally sums raw values: -4 conversions, shown as 0; the rate is clamped to 0, and a raw
    // rate below 0 is unreliable even with a half-width of 0.
    expect(b?.converted).toMatchObject({ estimate: 0, raw: -4 });
    expect(b?.rate).toMatchObject({
      estimate: 0,
      raw: -0.01,
      unreliable: true,
      reason: 'noisy estimate -0.01 is outside its possible range [0, 1]',
    });
    // At a threshold of 19 exposures the count rule passes, but the raw rate 25/19 is above 1.
    expect(
      abTestSummary(r, { variantDimension: 'variant', controlVariant: 'A', minReliableCount: 19 })
        .groups[0]?.variants[0]?.rate?.reason
    ).toBe('noisy estimate 1.32 is outside its possible range [0, 1]');
  });
});
