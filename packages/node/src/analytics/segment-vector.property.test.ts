/**
 * Properties on random data (fast-check): the streaming computeSegmentVector equals a naive
 * computation straight from the documented definitions (deriveCustomerFields, label search,
 * BigInt sums), and vectors are additive over any split of customers across nodes, which is what
 * makes the federated sum equal the pooled computation exactly (test/exactness.test.ts,
 * docs/architecture.md §8).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MISSING_CELL,
  OTHER_CELL,
  SegmentQuerySchema,
  type Dimension,
  type SegmentQuery,
} from '@fedmark/protocol';
import { deriveCustomerFields } from './customer-fields.ts';
import { computeSegmentVector } from './segment-vector.ts';
import { memoryUnitSource } from './memory-source.ts';
import type { EventRow, UnitSource } from './types.ts';

const AS_OF_MS = Date.parse('2024-07-01T00:00:00Z');
const DAY = 86_400_000;

const eventArb = fc.record({
  customer: fc.integer({ min: 0, max: 14 }),
  daysBefore: fc.integer({ min: 1, max: 900 }),
  purchase: fc.boolean(),
  cents: fc.integer({ min: 0, max: 60_000 }),
});

const DIMENSIONS: Dimension[] = [
  { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature'] },
  { field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] },
  { field: 'r_score', categories: ['1', '3', '5'] },
  { field: 'monetary', edges: [0.5, 100, 250.25] },
  { field: 'rfm_score_sum', edges: [5, 9] },
  { field: 'purchase_cycle_days', edges: [10, 60] },
];

function query(dims: number[]): SegmentQuery {
  return SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2024-07-01',
    epsilon: 1,
    dimensions: dims.map((i) => DIMENSIONS[i]),
    measures: [
      { field: 'monetary', lower: 0, upper: 300, scale: 100, squares: true, squareScale: 10 },
      { field: 'recency_days', lower: 10, upper: 400 },
      { field: 'avg_order_value', lower: -5, upper: 75.5, scale: 2 },
    ],
  });
}

function label(d: Dimension, v: string | number | null): string {
  if ('categories' in d)
    return v !== null && d.categories.includes(String(v)) ? String(v) : OTHER_CELL;
  if (typeof v !== 'number') return MISSING_CELL;
  const e = d.edges;
  if (v < (e[0] as number)) return `<${e[0]}`;
  for (let i = e.length - 1; i >= 0; i--)
    if (v >= (e[i] as number)) return i === e.length - 1 ? `>=${e[i]}` : `[${e[i]},${e[i + 1]})`;
  throw new Error('unreachable');
}

/** The documented computation, written the slow obvious way. */
function naive(q: SegmentQuery, source: UnitSource): bigint[] {
  const cells = computeSegmentVector({ ...q, measures: [] }, memoryUnitSource({})).layout.cells.map(
    (c) => c.join('\u0000')
  );
  const n = cells.length;
  const count = new Array<bigint>(n).fill(0n);
  const sums = q.measures.map(() => new Array<bigint>(n).fill(0n));
  const squares = q.measures.map(() => new Array<bigint>(n).fill(0n));
  let total = 0n;
  const round = (y: number): bigint => BigInt(Math.sign(y) * Math.round(Math.abs(y)));
  for (const c of source.customers()) {
    const f = deriveCustomerFields(c, q);
    const cell = cells.indexOf(
      q.dimensions.map((d) => label(d, f[d.field] ?? null)).join('\u0000')
    );
    count[cell] = (count[cell] as bigint) + 1n;
    total++;
    q.measures.forEach((m, j) => {
      const v = f[m.field];
      if (typeof v !== 'number') return;
      const x = Math.min(m.upper, Math.max(m.lower, v));
      (sums[j] as bigint[])[cell] = ((sums[j] as bigint[])[cell] as bigint) + round(x * m.scale);
      const s = round(x * m.squareScale);
      (squares[j] as bigint[])[cell] = ((squares[j] as bigint[])[cell] as bigint) + s * s;
    });
  }
  const out = [...count, total];
  q.measures.forEach((m, j) => {
    out.push(...(sums[j] as bigint[]));
    if (m.squares) out.push(...(squares[j] as bigint[]));
  });
  return out;
}

function eventsOf(
  raw: { customer: number; daysBefore: number; purchase: boolean; cents: number }[]
): EventRow[] {
  return raw.map((r, i) => ({
    customerId: `k${r.customer}`,
    time: AS_OF_MS - r.daysBefore * DAY + (i % 7) * 3_600_000,
    type: r.purchase ? 'purchase' : 'visit',
    amount: r.cents / 100,
    channel: null,
    category: null,
  }));
}

describe('computeSegmentVector properties', () => {
  it('equals the naive computation from the definitions', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 60 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 15, maxLength: 15 }),
        (raw, dims, signups) => {
          const customers = signups.map((s, i) => ({
            customerId: `k${i}`,
            signupDay: i % 3 === 0 ? null : AS_OF_MS / DAY - s,
          }));
          const src = memoryUnitSource({ customers, events: eventsOf(raw) });
          const q = query(dims);
          expect(computeSegmentVector(q, src).values).toEqual(naive(q, src));
        }
      ),
      { numRuns: 60 }
    );
  });

  it('is additive over any split of customers across nodes', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 15, maxLength: 15 }),
        (raw, nodeOf) => {
          const events = eventsOf(raw);
          const q = query([0, 3]);
          const pooled = computeSegmentVector(q, memoryUnitSource({ events })).values;
          const parts = [0, 1, 2].map(
            (n) =>
              computeSegmentVector(
                q,
                memoryUnitSource({
                  events: events.filter((e) => nodeOf[Number(e.customerId.slice(1))] === n),
                })
              ).values
          );
          expect(pooled.map((_, i) => parts.reduce((s, p) => s + (p[i] as bigint), 0n))).toEqual(
            pooled
          );
          const eq = SegmentQuerySchema.parse({
            ...q,
            unit: 'event',
            maxRowsPerCustomer: 2,
            dimensions: [{ field: 'event_type', categories: ['purchase'] }],
            measures: [{ field: 'amount', lower: 0, upper: 500, scale: 100 }],
          });
          const pooledEvents = computeSegmentVector(eq, memoryUnitSource({ events })).values;
          const eventParts = [0, 1, 2].map(
            (n) =>
              computeSegmentVector(
                eq,
                memoryUnitSource({
                  events: events.filter((e) => nodeOf[Number(e.customerId.slice(1))] === n),
                })
              ).values
          );
          expect(
            pooledEvents.map((_, i) => eventParts.reduce((s, p) => s + (p[i] as bigint), 0n))
          ).toEqual(pooledEvents);
        }
      ),
      { numRuns: 60 }
    );
  });
});
