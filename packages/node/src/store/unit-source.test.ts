import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { initNode, loadIdentity, type NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';
import { createUnitSource, openNodeDatabase } from './index.ts';

let root: string;
let db: Database.Database;
let id: NodeIdentity;
const day = (s: string) => Date.parse(`${s}T00:00:00Z`) / 86_400_000;

function csv(name: string, text: string): string {
  const f = join(root, name);
  writeFileSync(f, text);
  return f;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'unitsrc-'));
  const dir = join(root, 'node');
  await initNode({ dir, name: 'n' });
  id = loadIdentity(dir);
  db = openNodeDatabase(dir);
  await importCsv(db, id, {
    kind: 'customers',
    file: csv(
      'c.csv',
      'customer_id,signup_date,age,city\nC1,2023-05-01,40,Lyon\nC2,2023-06-01,,Paris\nC3,2023-07-01,22,\nC4,2023-08-01,31,Nice\nC5,2023-09-01,50,Lille\nC10,2023-01-01,60,Metz\n'
    ),
  });
  await importCsv(db, id, {
    kind: 'consents',
    file: csv(
      'k.csv',
      [
        'customer_id,purpose,status,time,source',
        'C1,analytics,granted,2024-01-01,web',
        'C2,analytics,granted,2024-01-01,web',
        'C2,analytics,revoked,2024-03-01,web',
        'C4,marketing,granted,2024-01-01,web',
        'C5,analytics,granted,2024-06-01,web',
        'C10,analytics,granted,2024-01-01T00:00:00Z,web',
        '',
      ].join('\n')
    ),
  });
  await importCsv(db, id, {
    kind: 'events',
    file: csv(
      'e.csv',
      [
        'customer_id,time,type,amount,channel,category',
        'C1,2024-01-05T10:00:00Z,purchase,10,web,a',
        'C1,2024-01-05T18:00:00Z,purchase,15.5,store,b',
        'C1,2024-02-01,purchase,4.5,web,a',
        'C1,2024-03-20,visit,,app,',
        'C1,2024-03-31T23:59:59Z,purchase,100,web,a',
        'C1,2024-04-01T00:00:00Z,purchase,1000,web,a',
        'C2,2024-01-10,purchase,7,web,a',
        'C10,2024-02-02,visit,,web,',
        '',
      ].join('\n')
    ),
  });
  await importCsv(db, id, {
    kind: 'touches',
    file: csv(
      't.csv',
      [
        'customer_id,time,channel,campaign,variant,outcome',
        'C10,2024-03-01,email,spring,A,opened',
        'C10,2024-03-15,email,spring,A,none',
        'C1,2024-02-10,sms,spring,,clicked',
        '',
      ].join('\n')
    ),
  });
  await importCsv(db, id, {
    kind: 'table',
    table: 'feat',
    file: csv('f.csv', 'customer_id,balance,kids\nC1,10.5,2\nC10,3,0\nC3,1,1\n'),
  });
});
afterAll(() => {
  db.close();
  rmSync(root, { recursive: true, force: true });
});

describe('createUnitSource', () => {
  it('aggregates customers in SQL, filtered by consent at asOf, ordered by customerId', () => {
    const src = createUnitSource(db, {
      purpose: 'analytics',
      asOf: '2024-04-01',
      consentAt: new Date('2024-04-01T00:00:00Z'),
    });
    const customers = [...src.customers()];
    expect(customers).toEqual([
      {
        customerId: 'C1',
        signupDay: day('2023-05-01'),
        attributes: { age: 40, city: 'Lyon' },
        purchaseCount: 4,
        purchaseDays: 3,
        firstPurchaseDay: day('2024-01-05'),
        lastPurchaseDay: day('2024-03-31'),
        lastActivityDay: day('2024-03-31'),
        monetary: 130,
      },
      {
        customerId: 'C10',
        signupDay: day('2023-01-01'),
        attributes: { age: 60, city: 'Metz' },
        purchaseCount: 0,
        purchaseDays: 0,
        firstPurchaseDay: null,
        lastPurchaseDay: null,
        // The opened touch (03-01) is later than the visit (02-02); the 'none' touch is not activity.
        lastActivityDay: day('2024-03-01'),
        monetary: 0,
      },
    ]);
  });

  it('sees the revoked customer before the revocation, and not the one who consented later', () => {
    const src = createUnitSource(db, {
      purpose: 'analytics',
      asOf: '2024-02-15',
      consentAt: new Date('2024-02-15T00:00:00Z'),
    });
    expect([...src.customers()].map((c) => c.customerId)).toEqual(['C1', 'C10', 'C2']);
    const c1 = [...src.customers()][0]!;
    expect(c1).toMatchObject({
      purchaseCount: 3,
      monetary: 30,
      lastActivityDay: day('2024-02-10'),
    });
    expect(
      [
        ...createUnitSource(db, {
          purpose: 'marketing',
          asOf: '2024-02-15',
          consentAt: new Date('2024-02-15T00:00:00Z'),
        }).customers(),
      ].map((c) => c.customerId)
    ).toEqual(['C4']);
    expect([
      ...createUnitSource(db, {
        purpose: 'model_training',
        asOf: '2030-01-01',
        consentAt: new Date('2030-01-01T00:00:00Z'),
      }).customers(),
    ]).toEqual([]);
    expect(
      [
        ...createUnitSource(db, {
          purpose: 'analytics',
          asOf: '2024-01-01',
          consentAt: new Date('2024-01-01T00:00:00Z'),
        }).customers(),
      ].map((c) => c.customerId)
    ).toEqual(['C1', 'C10', 'C2']);
    expect([
      ...createUnitSource(db, {
        purpose: 'analytics',
        asOf: '2023-12-31',
        consentAt: new Date('2023-12-31T00:00:00Z'),
      }).customers(),
    ]).toEqual([]);
  });

  it('takes consentAt separately from asOf when given', () => {
    const src = createUnitSource(db, {
      purpose: 'analytics',
      asOf: '2024-02-15',
      consentAt: new Date('2024-07-01T00:00:00Z'),
    });
    expect([...src.customers()].map((c) => c.customerId)).toEqual(['C1', 'C10', 'C5']);
  });

  it('streams events and touches strictly before asOf, by customer then time', () => {
    const src = createUnitSource(db, {
      purpose: 'analytics',
      asOf: '2024-04-01',
      consentAt: new Date('2024-04-01T00:00:00Z'),
    });
    const events = [...src.events()];
    expect(
      events.map((e) => [
        e.customerId,
        new Date(e.time).toISOString(),
        e.type,
        e.amount,
        e.channel,
        e.category,
      ])
    ).toEqual([
      ['C1', '2024-01-05T10:00:00.000Z', 'purchase', 10, 'web', 'a'],
      ['C1', '2024-01-05T18:00:00.000Z', 'purchase', 15.5, 'store', 'b'],
      ['C1', '2024-02-01T00:00:00.000Z', 'purchase', 4.5, 'web', 'a'],
      ['C1', '2024-03-20T00:00:00.000Z', 'visit', null, 'app', null],
      ['C1', '2024-03-31T23:59:59.000Z', 'purchase', 100, 'web', 'a'],
      ['C10', '2024-02-02T00:00:00.000Z', 'visit', null, 'web', null],
    ]);
    expect([...src.touches()]).toEqual([
      {
        customerId: 'C1',
        time: Date.parse('2024-02-10T00:00:00Z'),
        channel: 'sms',
        campaign: 'spring',
        variant: null,
        outcome: 'clicked',
      },
      {
        customerId: 'C10',
        time: Date.parse('2024-03-01T00:00:00Z'),
        channel: 'email',
        campaign: 'spring',
        variant: 'A',
        outcome: 'opened',
      },
      {
        customerId: 'C10',
        time: Date.parse('2024-03-15T00:00:00Z'),
        channel: 'email',
        campaign: 'spring',
        variant: 'A',
        outcome: 'none',
      },
    ]);
  });

  it('lets several scans run side by side (merge joins in analytics)', () => {
    const src = createUnitSource(db, {
      purpose: 'analytics',
      asOf: '2024-04-01',
      consentAt: new Date('2024-04-01T00:00:00Z'),
    });
    const a = src.customers()[Symbol.iterator]();
    const b = src.events()[Symbol.iterator]();
    expect(a.next().value?.customerId).toBe('C1');
    expect(b.next().value?.customerId).toBe('C1');
    expect(a.next().value?.customerId).toBe('C10');
    // Closing an unfinished scan releases its statement (the connection can write again).
    a.return?.(undefined);
    b.return?.(undefined);
    expect(() => db.prepare('CREATE TEMP TABLE IF NOT EXISTS scratch (x)').run()).not.toThrow();
  });

  it('reads feature tables with typed values for consented customers only', () => {
    const src = createUnitSource(db, {
      purpose: 'analytics',
      asOf: '2024-04-01',
      consentAt: new Date('2024-04-01T00:00:00Z'),
    });
    expect([...src.tableRows('feat')]).toEqual([
      { customerId: 'C1', values: { balance: 10.5, kids: 2 } },
      { customerId: 'C10', values: { balance: 3, kids: 0 } },
    ]);
    expect(() => [...src.tableRows('nope')]).toThrow(/does not exist/);
  });

  it('refuses a bad asOf or purpose', () => {
    expect(() => createUnitSource(db, { purpose: 'analytics', asOf: '2024-02-30' })).toThrow(
      /asOf/
    );
    expect(() =>
      createUnitSource(db, { purpose: 'spam' as 'analytics', asOf: '2024-02-01' })
    ).toThrow();
  });

  it('uses the primary keys: no full sort for the per-customer scans', () => {
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT c.customer_id, e.time FROM customers c JOIN events e ON e.customer = c.id WHERE e.time < 0 ORDER BY c.customer_id, e.time`
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  });
});
