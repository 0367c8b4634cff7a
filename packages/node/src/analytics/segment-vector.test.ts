/**
 * The segment-statistics vector on hand-built data: cells (declared, other, bins, missing),
 * clipping and fixed-point rounding, exact big sums, field errors, feature-table joins.
 */
import { describe, expect, it } from 'vitest';
import {
  ProtocolError,
  SegmentQuerySchema,
  layoutOf,
  type SegmentQueryInput,
} from '@fedmark/protocol';
import { computeSegmentVector } from './segment-vector.ts';
import { ExactSums, roundHalfAway } from './fixed-point.ts';
import { memoryUnitSource, type MemoryCustomer } from './memory-source.ts';
import type { UnitSource } from './types.ts';

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2024-07-01',
  epsilon: 1,
} as const;
const query = (extra: Partial<SegmentQueryInput>) =>
  SegmentQuerySchema.parse({ ...base, ...extra });
const people = (attrs: Record<string, string | number | null>[]): MemoryCustomer[] =>
  attrs.map((attributes, i) => ({
    customerId: `c${String(i).padStart(2, '0')}`,
    signupDay: null,
    attributes,
  }));

/** Slot values of a named block. */
function block(
  v: { layout: { blocks: { name: string; offset: number; length: number }[] }; values: bigint[] },
  name: string
): bigint[] {
  const b = v.layout.blocks.find((x) => x.name === name);
  if (!b) throw new Error(`no block ${name}`);
  return v.values.slice(b.offset, b.offset + b.length);
}

describe('cells', () => {
  it('places declared categories, undeclared and missing values (__other__) and bins (<e0, [ei,ei+1), >=ek, __missing__)', () => {
    const src = memoryUnitSource({
      customers: people([
        { tier: 'gold', score: -5 }, // gold x <0
        { tier: 'silver', score: 0 }, // silver x [0,10): a value on an edge goes right
        { tier: 'bronze', score: 10 }, // undeclared -> __other__ x [10,100)
        { tier: null, score: 100 }, // missing -> __other__ x >=100
        { tier: 'gold', score: null }, // gold x __missing__
        { tier: 'gold', score: 'n/a' }, // non-numeric text -> __missing__
        { score: '99.5' }, // absent tier -> __other__; numeric text 99.5 -> [10,100)
      ]),
    });
    const v = computeSegmentVector(
      query({
        dimensions: [
          { field: 'attr.tier', categories: ['gold', 'silver'] },
          { field: 'attr.score', edges: [0, 10, 100] },
        ],
      }),
      src
    );
    expect(v.layout.cells[4]).toEqual(['gold', '__missing__']);
    // 3 tiers x 5 bins, tier outermost: gold [<0, [0,10), [10,100), >=100, missing], silver [...], other [...].
    expect(v.cellCounts).toEqual([1, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 2, 1, 0]);
    expect(block(v, 'count').map(Number)).toEqual(v.cellCounts);
    expect(block(v, 'total')).toEqual([7n]);
    expect(v.rows).toBe(7);
    expect(v.values.length).toBe(v.layout.length);
  });

  it('matches numeric values to category labels by their decimal text (scores are "1".."5")', () => {
    const src = memoryUnitSource({
      customers: people([{ n: 1 }, { n: 2 }, { n: '2' }, { n: 2.5 }]),
    });
    const v = computeSegmentVector(
      query({ dimensions: [{ field: 'attr.n', categories: ['1', '2'] }] }),
      src
    );
    expect(v.cellCounts).toEqual([1, 2, 1]);
  });
});

describe('measures', () => {
  it('clips, scales and rounds half away from zero; missing contributes 0 but the row counts', () => {
    // lower -10, upper 10, scale 2, squares with squareScale 1:
    //   1.25 -> 2.5 -> 3 (sq: round(1.25) = 1 -> 1); -1.25 -> -3 (sq 1); 20 -> clip 10 -> 20 (sq 100);
    //   "4.5" -> 9 (sq: 4.5 -> 5 -> 25); null -> 0. Sum 29, sum of squares 127, count 5.
    const src = memoryUnitSource({
      customers: people([{ x: 1.25 }, { x: -1.25 }, { x: 20 }, { x: '4.5' }, { x: null }]),
    });
    const v = computeSegmentVector(
      query({ measures: [{ field: 'attr.x', lower: -10, upper: 10, scale: 2, squares: true }] }),
      src
    );
    expect(v.values).toEqual([5n, 5n, 29n, 127n]);
    expect(roundHalfAway(-2.5)).toBe(-3);
    expect(roundHalfAway(2.5)).toBe(3);
    expect(roundHalfAway(-2.4)).toBe(-2);
  });

  it('treats NaN, infinities and non-numeric text as missing', () => {
    // Only 1e3 (numeric text) and 2 count: clipped to 100 and 2 -> 102; the 5 other rows add 0.
    const src = memoryUnitSource({
      customers: people([
        { x: Number.NaN },
        { x: Infinity },
        { x: -Infinity },
        { x: '1e3' },
        { x: ' 5' },
        { x: '0x10' },
        { x: 2 },
      ]),
    });
    const v = computeSegmentVector(
      query({ measures: [{ field: 'attr.x', lower: 0, upper: 100 }] }),
      src
    );
    expect(v.values).toEqual([7n, 7n, 102n]);
  });

  it('never lets one row exceed the layout sensitivity, even at a -k.5 lower bound', () => {
    // lower -2.5 -> layout bound max(|Math.round(-2.5)| = 2, 1) = 2; half-away would give -3.
    const q = query({ measures: [{ field: 'attr.x', lower: -2.5, upper: 1 }] });
    const v = computeSegmentVector(q, memoryUnitSource({ customers: people([{ x: -7 }]) }));
    const sens = layoutOf(q).blocks.find((b) => b.name === 'sum:attr.x')?.sensitivity;
    expect(sens).toBe(2n);
    expect(block(v, 'sum:attr.x')).toEqual([-2n]);
  });

  it('keeps sums exact beyond 2^53', () => {
    const big = 2 ** 52; // per-row scaled value 2^52 * 4 = 2^54 (beyond float64 integer precision when summed)
    const src = memoryUnitSource({
      customers: people([{ x: big }, { x: big }, { x: big }, { x: 1 }]),
    });
    const v = computeSegmentVector(
      query({
        measures: [
          { field: 'attr.x', lower: 0, upper: 2 ** 53, scale: 4, squares: true, squareScale: 2 },
        ],
      }),
      src
    );
    expect(block(v, 'sum:attr.x')).toEqual([3n * 2n ** 54n + 4n]);
    expect(block(v, 'sumsq:attr.x')).toEqual([3n * (2n ** 53n) ** 2n + 4n]);
    const s = new ExactSums(1);
    for (let i = 0; i < 5; i++) s.add(0, Number.MAX_SAFE_INTEGER);
    s.add(0, -3);
    expect(s.value(0)).toBe(5n * BigInt(Number.MAX_SAFE_INTEGER) - 3n);
  });

  it('sums derived customer fields per cell (monetary by lifecycle stage)', () => {
    const t = (d: string): number => Date.parse(`${d}T12:00:00Z`);
    const purchase = (customerId: string, d: string, amount: number) => ({
      customerId,
      time: t(d),
      type: 'purchase',
      amount,
      channel: null,
      category: null,
    });
    const src = memoryUnitSource({
      asOf: '2024-07-01',
      customers: [
        { customerId: 'a', signupDay: null },
        { customerId: 'b', signupDay: null },
      ],
      // a: first purchase 2024-06-10 -> tenure 0 -> intro, M 10.10 + 0.2 = 10.3 -> 1030 cents.
      // b: first 2023-01-05, last 2024-02-01 -> 150 days inactive -> decline, M 99.99 -> 9999.
      // The purchase on asOf itself is excluded (rows before 00:00 UTC of asOf only).
      events: [
        purchase('a', '2024-06-10', 10.1),
        purchase('a', '2024-06-20', 0.2),
        purchase('b', '2023-01-05', 50),
        purchase('b', '2024-02-01', 49.99),
        purchase('b', '2024-07-01', 1000),
      ],
    });
    const v = computeSegmentVector(
      query({
        dimensions: [
          { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
        ],
        measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
      }),
      src
    );
    expect(v.values).toEqual([1n, 0n, 0n, 1n, 0n, 2n, 1030n, 0n, 0n, 9999n, 0n]);
  });
});

describe('customers as of asOf', () => {
  it('does not count a customer who signs up on or after asOf with nothing before it', () => {
    const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
    const src = memoryUnitSource({
      asOf: '2024-07-01',
      customers: [
        { customerId: 'a', signupDay: day('2024-06-30') }, // counted (signed up the day before)
        { customerId: 'b', signupDay: day('2024-07-01') }, // not yet a customer at 00:00 UTC
        { customerId: 'c', signupDay: day('2024-08-01') }, // later signup, but bought before asOf: counted
      ],
      events: [
        {
          customerId: 'c',
          time: Date.parse('2024-06-01T10:00:00Z'),
          type: 'purchase',
          amount: 5,
          channel: null,
          category: null,
        },
      ],
    });
    // a: no activity -> decline -> __other__; c: signup after asOf gives tenure 0 -> intro, active.
    const v = computeSegmentVector(
      query({ dimensions: [{ field: 'lifecycle_stage', categories: ['intro'] }] }),
      src
    );
    expect(v.values).toEqual([1n, 1n, 2n]);
  });
});

describe('field errors', () => {
  it('refuses an unknown field with BAD_REQUEST naming the field, the unit and the known fields', () => {
    const src = memoryUnitSource({});
    const run = (): unknown =>
      computeSegmentVector(query({ dimensions: [{ field: 'recency', edges: [1] }] }), src);
    expect(run).toThrow(ProtocolError);
    try {
      run();
    } catch (e) {
      expect((e as ProtocolError).code).toBe('BAD_REQUEST');
      expect((e as ProtocolError).message).toMatch(
        /^unknown field "recency" for unit "customer"; known fields: recency_days, frequency, .*attr\.<name>, table\.<table>\.<column>$/
      );
    }
    const touch = (): unknown =>
      computeSegmentVector(
        query({ unit: 'touch', measures: [{ field: 'table.risk.score', lower: 0, upper: 1 }] }),
        src
      );
    expect(touch).toThrow(
      /unknown field "table.risk.score" for unit "touch" \(feature-table fields exist for the customer unit only\)/
    );
    expect(() =>
      computeSegmentVector(query({ measures: [{ field: 'event_type', lower: 0, upper: 1 }] }), src)
    ).toThrow(/unknown field "event_type" for unit "customer"/);
  });
});

describe('feature tables', () => {
  it('merge-joins table rows by customer; absent rows and columns are missing', () => {
    const src = memoryUnitSource({
      customers: people([{}, {}, {}]),
      tables: {
        risk: [
          { customerId: 'c02', values: { vol: 9.1 } },
          { customerId: 'c00', values: { vol: 2.5 } },
          { customerId: 'c00', values: { vol: 50 } },
        ],
      },
    });
    // c00 -> 2.5 (first row of a duplicated id wins) -> <3; c01 -> no row -> __missing__; c02 -> 9.1 -> >=8.
    const v = computeSegmentVector(
      query({
        dimensions: [{ field: 'table.risk.vol', edges: [3, 8] }],
        measures: [{ field: 'table.risk.vol', lower: 0, upper: 100, scale: 10 }],
      }),
      src
    );
    expect(v.cellCounts).toEqual([1, 0, 1, 1]);
    expect(block(v, 'sum:table.risk.vol')).toEqual([25n, 0n, 91n, 0n]);
  });

  it('refuses a source whose customers go backwards when a join needs the order', () => {
    const bad: UnitSource = {
      customers: () => [
        {
          customerId: 'b',
          signupDay: null,
          attributes: {},
          purchaseCount: 0,
          purchaseDays: 0,
          firstPurchaseDay: null,
          lastPurchaseDay: null,
          lastActivityDay: null,
          monetary: 0,
        },
        {
          customerId: 'a',
          signupDay: null,
          attributes: {},
          purchaseCount: 0,
          purchaseDays: 0,
          firstPurchaseDay: null,
          lastPurchaseDay: null,
          lastActivityDay: null,
          monetary: 0,
        },
      ],
      events: () => [],
      touches: () => [],
      tableRows: () => [],
    };
    expect(() =>
      computeSegmentVector(query({ measures: [{ field: 'table.t.x', lower: 0, upper: 1 }] }), bad)
    ).toThrow(
      expect.objectContaining({
        code: 'INTERNAL',
        message:
          'customers are not ordered by customerId: the merge-join needs the UnitSource order',
      })
    );
  });
});
