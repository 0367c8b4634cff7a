import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { importCsv } from '../importing/index.ts';
import { CONSENT_IN_FORCE_SQL } from './_consent-sql.ts';
import { activityAggregates } from './customer-activity.ts';
import { createUnitSource, openNodeDatabase } from './index.ts';

let t: TempNode;
beforeEach(async () => {
  t = await createTempNode('activity-', 'n');
});
afterEach(() => removeTempNode(t));

const CONSENT_AT = new Date('2030-01-01T00:00:00Z');
const IDS = ['C1', 'C2', 'C3', 'C4', 'c5', 'Zé', 'C10'];
const DAY = 86_400_000;
const BASE = Date.UTC(2024, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The customer summaries by a plain aggregation of every customer's rows before asOf, in one
 * statement: what createUnitSource returned before the kept aggregates existed.
 */
function plainSummaries(asOf: string) {
  return t.db
    .prepare(
      `SELECT c.customer_id AS customerId, ${activityAggregates('AND t.time < :asOf')}
       FROM customers c LEFT JOIN events e ON e.customer = c.id AND e.time < :asOf
       WHERE ${CONSENT_IN_FORCE_SQL} GROUP BY c.customer_id ORDER BY c.customer_id`
    )
    .all({ asOf: Date.parse(`${asOf}T00:00:00Z`), purpose: 'analytics', consentAt: +CONSENT_AT });
}

function viaSource(asOf: string) {
  return [
    ...createUnitSource(t.db, { purpose: 'analytics', asOf, consentAt: CONSENT_AT }).customers(),
  ];
}

const toDay = (ms: number | null) => (ms === null ? null : Math.floor(ms / DAY));

/** Same fields, as the source derives them from the plain aggregation. */
function expected(asOf: string) {
  return plainSummaries(asOf).map((r) => {
    const x = r as Record<string, number | null> & { customerId: string };
    const last = [x['lastEvent'], x['lastResponse']].filter((v): v is number => v !== null);
    return {
      customerId: x.customerId,
      purchaseCount: x['purchaseCount'],
      purchaseDays: x['purchaseDays'],
      firstPurchaseDay: toDay(x['firstPurchase'] ?? null),
      lastPurchaseDay: toDay(x['lastPurchase'] ?? null),
      lastActivityDay: last.length ? toDay(Math.max(...last)) : null,
      monetary: x['monetary'],
    };
  });
}

const fields = (rows: ReturnType<typeof viaSource>) =>
  rows.map(({ attributes: _a, signupDay: _s, ...rest }) => rest);

function write(name: string, text: string): string {
  const f = join(t.root, name);
  writeFileSync(f, text);
  return f;
}

const eventArb = fc.record({
  id: fc.constantFrom(...IDS),
  day: fc.integer({ min: -3, max: 400 }),
  hour: fc.integer({ min: 0, max: 23 }),
  purchase: fc.boolean(),
  cents: fc.integer({ min: 0, max: 99_999 }),
});
const touchArb = fc.record({
  id: fc.constantFrom(...IDS),
  day: fc.integer({ min: 0, max: 400 }),
  outcome: fc.constantFrom('none', 'opened', 'clicked', 'converted'),
});

type Arb<A> = A extends fc.Arbitrary<infer T> ? T : never;

async function importEvents(name: string, rows: Arb<typeof eventArb>[]) {
  const lines = rows.map(
    (r) =>
      `${r.id},${iso(BASE + r.day * DAY + r.hour * 3_600_000)},${r.purchase ? 'purchase' : 'visit'},${r.purchase ? (r.cents / 100).toFixed(2) : ''},web,a`
  );
  await importCsv(t.db, t.identity, {
    kind: 'events',
    file: write(name, ['customer_id,time,type,amount,channel,category', ...lines, ''].join('\n')),
    lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
  });
}

async function importTouches(name: string, rows: Arb<typeof touchArb>[]) {
  const lines = rows.map((r) => `${r.id},${iso(BASE + r.day * DAY)},email,spring,A,${r.outcome}`);
  await importCsv(t.db, t.identity, {
    kind: 'touches',
    file: write(
      name,
      ['customer_id,time,channel,campaign,variant,outcome', ...lines, ''].join('\n')
    ),
    lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
  });
}

const AS_OFS = ['2023-12-01', '2024-01-02', '2024-03-15', '2024-07-01', '2025-02-05', '2026-01-01'];

describe('customer activity aggregates', () => {
  it('give the same summaries as a plain aggregation at every asOf, across imports and an erasure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { maxLength: 40 }),
        fc.array(eventArb, { maxLength: 40 }),
        fc.array(touchArb, { maxLength: 20 }),
        fc.constantFrom(...IDS),
        async (first, second, touches, erased) => {
          t.db.exec(
            'DELETE FROM customer_activity; DELETE FROM events; DELETE FROM touches; DELETE FROM consents; DELETE FROM customers; DELETE FROM erased_customers;'
          );
          await importEvents('a.csv', first);
          await importTouches('t.csv', touches);
          // The second file repeats the first (nothing new) and adds rows for some customers.
          await importEvents('b.csv', [...first, ...second]);
          for (const asOf of AS_OFS) expect(fields(viaSource(asOf))).toEqual(expected(asOf));
          if (first.some((r) => r.id === erased)) {
            eraseCustomer(t.db, t.identity, erased);
            for (const asOf of AS_OFS) expect(fields(viaSource(asOf))).toEqual(expected(asOf));
          }
        }
      ),
      { numRuns: 25, seed: 16 }
    );
  });

  it('are rolled back with a failed import', async () => {
    await importEvents('a.csv', [{ id: 'C1', day: 3, hour: 1, purchase: true, cents: 500 }]);
    const before = t.db.prepare('SELECT * FROM customer_activity').all();
    const bad = write(
      'bad.csv',
      'customer_id,time,type,amount,channel,category\nC1,2024-02-01,purchase,9,web,a\nC2,not-a-time,purchase,1,web,a\n'
    );
    await expect(importCsv(t.db, t.identity, { kind: 'events', file: bad })).rejects.toThrow();
    expect(t.db.prepare('SELECT * FROM customer_activity').all()).toEqual(before);
  });

  it('are filled for a database stored before they existed', async () => {
    await importEvents('a.csv', [
      { id: 'C1', day: 3, hour: 1, purchase: true, cents: 500 },
      { id: 'C2', day: 9, hour: 2, purchase: false, cents: 0 },
    ]);
    const kept = t.db.prepare('SELECT * FROM customer_activity ORDER BY customer').all();
    expect(kept).toHaveLength(2);
    // An older database: no table, no migration record.
    t.db.exec(
      "DROP TABLE customer_activity; DELETE FROM node_migrations WHERE name = '002-customer-activity'"
    );
    t.db.close();
    t.db = openNodeDatabase(t.dir);
    expect(t.db.prepare('SELECT * FROM customer_activity ORDER BY customer').all()).toEqual(kept);
  });
});
