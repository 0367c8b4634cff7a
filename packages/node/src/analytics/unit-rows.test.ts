/**
 * Non-customer units on hand-built data: per-customer contribution bounding (earliest rows
 * kept, ties by input order), the assignment funnel flags, channel fatigue windows, the join to
 * customer fields, and the summaries memoryUnitSource derives from events and touches.
 */
import { describe, expect, it } from 'vitest';
import { SegmentQuerySchema, type SegmentQueryInput } from '@fedmark/protocol';
import { computeSegmentVector } from './segment-vector.ts';
import { memoryUnitSource } from './memory-source.ts';
import type { EventRow, TouchRow, UnitSource } from './types.ts';

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2024-07-01',
  epsilon: 1,
} as const;
const query = (extra: Partial<SegmentQueryInput>) =>
  SegmentQuerySchema.parse({ ...base, ...extra });
const t = (iso: string): number => Date.parse(iso);
const ev = (
  customerId: string,
  time: string,
  type: string,
  amount: number | null,
  channel: string | null = null
): EventRow => ({
  customerId,
  time: t(time),
  type,
  amount,
  channel,
  category: null,
});
const touch = (
  customerId: string,
  time: string,
  campaign: string,
  variant: string | null,
  outcome: string,
  channel = 'email'
): TouchRow => ({
  customerId,
  time: t(time),
  channel,
  campaign,
  variant,
  outcome,
});

describe('event unit', () => {
  it('keeps the earliest maxRowsPerCustomer events per customer and ignores events at or after asOf', () => {
    // a: events at 06-20 (30), 06-03 (10), 06-10 (20), 07-01 (1000, after asOf). Earliest two: 10 + 20.
    // b: two purchases at the same instant (5 then 7): limit 2 keeps both, limit 1 keeps 5 (input order).
    const src = memoryUnitSource({
      events: [
        ev('a', '2024-06-20T10:00:00Z', 'purchase', 30),
        ev('a', '2024-06-03T10:00:00Z', 'purchase', 10),
        ev('a', '2024-06-10T10:00:00Z', 'visit', 20),
        ev('b', '2024-06-01T08:00:00Z', 'purchase', 5),
        ev('b', '2024-06-01T08:00:00Z', 'purchase', 7),
        ev('a', '2024-07-01T00:00:00Z', 'purchase', 1000),
      ],
    });
    const m = [{ field: 'amount', lower: 0, upper: 100 }];
    const two = computeSegmentVector(
      query({
        unit: 'event',
        maxRowsPerCustomer: 2,
        measures: m,
        dimensions: [{ field: 'event_type', categories: ['purchase'] }],
      }),
      src
    );
    // cells purchase / other: a -> purchase 10, visit 20; b -> 5, 7.
    expect(two.values).toEqual([3n, 1n, 4n, 22n, 20n]);
    const one = computeSegmentVector(
      query({ unit: 'event', maxRowsPerCustomer: 1, measures: m }),
      src
    );
    expect(one.values).toEqual([2n, 2n, 15n]); // a: 10, b: 5 (first of the tie)
  });

  it('bins hour_of_week (Monday = 0, UTC) and joins the customer fields', () => {
    // 2024-06-24 is a Monday: 09:30 -> hour 9; 2024-06-30 is a Sunday: 23:00 -> 167.
    const src = memoryUnitSource({
      events: [
        ev('a', '2024-06-24T09:30:00Z', 'visit', null),
        ev('a', '2024-06-30T23:00:00Z', 'visit', null),
      ],
    });
    const v = computeSegmentVector(
      query({
        unit: 'event',
        maxRowsPerCustomer: 5,
        dimensions: [
          { field: 'hour_of_week', edges: [0, 24, 144] },
          { field: 'lifecycle_stage', categories: ['intro'] },
        ],
      }),
      src
    );
    // a has no purchase and no signup: tenure null -> lifecycle null -> __other__ (activity 1 day ago).
    const cell = (h: string, s: string): number =>
      v.layout.cells.findIndex((c) => c[0] === h && c[1] === s);
    expect(v.cellCounts[cell('[0,24)', '__other__')]).toBe(1);
    expect(v.cellCounts[cell('>=144', '__other__')]).toBe(1);
    expect(v.rows).toBe(2);
  });

  it('drops rows of customers missing from customers() (no consent in force)', () => {
    const full = memoryUnitSource({
      events: [
        ev('a', '2024-06-01T00:00:00Z', 'purchase', 1),
        ev('b', '2024-06-01T00:00:00Z', 'purchase', 2),
        ev('c', '2024-06-01T00:00:00Z', 'purchase', 4),
      ],
    });
    const withoutB: UnitSource = {
      ...full,
      customers: () => [...full.customers()].filter((c) => c.customerId !== 'b'),
    };
    const v = computeSegmentVector(
      query({ unit: 'event', measures: [{ field: 'amount', lower: 0, upper: 10 }] }),
      withoutB
    );
    expect(v.values).toEqual([2n, 2n, 5n]);
  });
});

describe('touch unit', () => {
  it('sets responded for clicked and converted only, bounded per customer', () => {
    const src = memoryUnitSource({
      touches: [
        touch('a', '2024-06-01T00:00:00Z', 'x', 'A', 'none'),
        touch('a', '2024-06-02T00:00:00Z', 'x', 'A', 'opened'),
        touch('a', '2024-06-03T00:00:00Z', 'x', 'A', 'clicked'),
        touch('b', '2024-06-01T00:00:00Z', 'x', 'B', 'converted'),
        touch('b', '2024-06-05T00:00:00Z', 'x', 'B', 'clicked'),
      ],
    });
    const m = [{ field: 'responded', lower: 0, upper: 1 }];
    expect(
      computeSegmentVector(query({ unit: 'touch', maxRowsPerCustomer: 3, measures: m }), src).values
    ).toEqual([5n, 5n, 3n]);
    // At 2 rows per customer a keeps none + opened (0 responses), b keeps both (2).
    expect(
      computeSegmentVector(query({ unit: 'touch', maxRowsPerCustomer: 2, measures: m }), src).values
    ).toEqual([4n, 4n, 2n]);
  });
});

describe('assignment unit', () => {
  it('makes one row per customer x campaign x variant with exposed/clicked/converted flags', () => {
    const src = memoryUnitSource({
      touches: [
        touch('a', '2024-06-03T00:00:00Z', 'spring', 'A', 'none'),
        touch('a', '2024-06-04T00:00:00Z', 'spring', 'A', 'clicked'), // a/spring/A: clicked 1, converted 0
        touch('a', '2024-06-01T00:00:00Z', 'summer', 'B', 'converted'), // a/summer/B: 1, 1 (earliest)
        touch('a', '2024-06-09T00:00:00Z', 'autumn', null, 'opened'), // a/autumn/null: 0, 0 (latest)
        touch('b', '2024-06-02T00:00:00Z', 'spring', 'B', 'opened'), // b/spring/B: 0, 0
        touch('b', '2024-06-06T00:00:00Z', 'spring', 'B', 'converted'), // -> clicked 1, converted 1
      ],
    });
    const measures = ['exposed', 'clicked', 'converted'].map((field) => ({
      field,
      lower: 0,
      upper: 1,
    }));
    const dims = [{ field: 'variant', categories: ['A', 'B'] }];
    const all = computeSegmentVector(
      query({ unit: 'assignment', maxRowsPerCustomer: 3, dimensions: dims, measures }),
      src
    );
    // cells A / B / other(null variant): counts [1, 2, 1]; exposed = counts; clicked [1, 2, 0]; converted [0, 2, 0].
    expect(all.values).toEqual([1n, 2n, 1n, 4n, 1n, 2n, 1n, 1n, 2n, 0n, 0n, 2n, 0n]);
    // Bound 2: a keeps summer/B (06-01) and spring/A (06-03); autumn (06-09) is dropped.
    const two = computeSegmentVector(
      query({ unit: 'assignment', maxRowsPerCustomer: 2, dimensions: dims, measures }),
      src
    );
    expect(two.cellCounts).toEqual([1, 2, 0]);
  });
});

describe('customer_channel unit', () => {
  it('counts touches per channel in the 7 days before asOf, one row per customer and channel', () => {
    // Window [2024-06-24T00:00, 2024-07-01T00:00): 06-23T23:59 is out, 06-24T00:00 is in.
    const src = memoryUnitSource({
      touches: [
        touch('a', '2024-06-23T23:59:59Z', 'c', 'A', 'none', 'email'),
        touch('a', '2024-06-24T00:00:00Z', 'c', 'A', 'none', 'email'),
        touch('a', '2024-06-30T23:59:59Z', 'c', 'A', 'none', 'email'),
        touch('a', '2024-06-28T12:00:00Z', 'c', 'A', 'none', 'sms'),
        touch('b', '2024-06-01T00:00:00Z', 'c', 'A', 'none', 'sms'), // only old touches: no row
      ],
    });
    const v = computeSegmentVector(
      query({
        unit: 'customer_channel',
        maxRowsPerCustomer: 4,
        dimensions: [{ field: 'channel', categories: ['email', 'sms'] }],
        measures: [{ field: 'touches_7d', lower: 0, upper: 50 }],
      }),
      src
    );
    expect(v.values).toEqual([1n, 1n, 0n, 2n, 2n, 1n, 0n]);
  });
});

describe('memoryUnitSource', () => {
  it('derives summaries like the store: purchases by type, distinct purchase days, activity from any event or a reacted touch', () => {
    const src = memoryUnitSource({
      customers: [{ customerId: 'z', signupDay: 19_000, attributes: { k: 1 } }],
      events: [
        ev('a', '2024-06-01T10:00:00Z', 'purchase', 10),
        ev('a', '2024-06-01T18:00:00Z', 'purchase', null),
        ev('a', '2024-06-05T10:00:00Z', 'purchase', 2.5),
        ev('a', '2024-06-20T10:00:00Z', 'visit', null),
      ],
      touches: [
        touch('a', '2024-06-25T00:00:00Z', 'x', 'A', 'opened'),
        touch('a', '2024-06-28T00:00:00Z', 'x', 'A', 'none'),
      ],
    });
    const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
    expect([...src.customers()]).toEqual([
      {
        customerId: 'a',
        signupDay: null,
        attributes: {},
        purchaseCount: 3,
        purchaseDays: 2,
        firstPurchaseDay: day('2024-06-01'),
        lastPurchaseDay: day('2024-06-05'),
        lastActivityDay: day('2024-06-25'),
        monetary: 12.5,
      },
      {
        customerId: 'z',
        signupDay: 19_000,
        attributes: { k: 1 },
        purchaseCount: 0,
        purchaseDays: 0,
        firstPurchaseDay: null,
        lastPurchaseDay: null,
        lastActivityDay: null,
        monetary: 0,
      },
    ]);
  });
});
