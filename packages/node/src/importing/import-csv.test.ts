import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { sha256Hex } from '@fedmark/protocol';
import { useTempNode } from '../_testing/temp-node.ts';
import { pseudonymFor, type NodeIdentity } from '../identity/index.ts';
import { listLedger, ledgerSize, verifyLedger } from '../ledger/index.ts';
import { featureTableColumns, listFeatureTables } from '../store/index.ts';
import { ImportError, importCsv } from './index.ts';

let dir: string;
let db: Database.Database;
let id: NodeIdentity;

// `dir` is the temp folder the test CSV files go in; the node lives in its subfolder `node`.
useTempNode('import-', 'n1', (t) => ({ root: dir, db, identity: id } = t));

function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const count = (table: string): number =>
  db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

const CUSTOMERS = `customer_id,signup_date,age,tier,score
C1,2023-01-15,34,gold,1.5
C2,2024-06-01,,silver,2
C3,,51,007,
`;
const EVENTS = `customer_id,time,type,amount,channel,category
C1,2024-01-10,purchase,19.99,web,shoes
C1,2024-01-10,purchase,19.99,web,shoes
C1,2024-02-01T10:30:00+02:00,,5,store,
C2,2024-03-05,visit,,app,
C4,2024-03-06T08:00:00Z,purchase,100,web,bags
`;

async function expectImportError(
  p: Promise<unknown>,
  at: { line: number; column: string | null; value?: string | null; reason: RegExp }
): Promise<ImportError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(ImportError);
  const e = err as ImportError;
  expect(e.code).toBe('IMPORT_INVALID');
  expect(e.line).toBe(at.line);
  expect(e.column).toBe(at.column);
  if (at.value !== undefined) expect(e.value).toBe(at.value);
  expect(e.reason).toMatch(at.reason);
  expect(e.message).toContain(`${e.file}:${at.line}`);
  return e;
}

describe('importCsv: good files', () => {
  it('imports customers with typed attributes', async () => {
    const file = csv('customers.csv', CUSTOMERS);
    const r = await importCsv(db, id, { kind: 'customers', file });
    expect(r).toEqual({
      kind: 'customers',
      file: 'customers.csv',
      fileHash: sha256Hex(CUSTOMERS),
      rowsRead: 3,
      rowsInserted: 3,
      rowsChanged: 0,
      rowsUnchanged: 0,
      rowsSkippedErased: 0,
    });
    const rows = db
      .prepare('SELECT customer_id, signup_day, attributes FROM customers ORDER BY customer_id')
      .all();
    expect(rows).toEqual([
      {
        customer_id: 'C1',
        signup_day: Date.UTC(2023, 0, 15) / 86_400_000,
        attributes: '{"age":34,"tier":"gold","score":1.5}',
      },
      {
        customer_id: 'C2',
        signup_day: Date.UTC(2024, 5, 1) / 86_400_000,
        attributes: '{"tier":"silver","score":2}',
      },
      { customer_id: 'C3', signup_day: null, attributes: '{"age":51,"tier":"007"}' },
    ]);
    expect(
      db.prepare('SELECT name, type FROM customer_attribute_columns ORDER BY name').all()
    ).toEqual([
      { name: 'age', type: 'integer' },
      { name: 'score', type: 'real' },
      { name: 'tier', type: 'text' },
    ]);
    const entry = listLedger(db, { type: 'import' })[0]!;
    expect(entry.body).toMatchObject({
      kind: 'customers',
      fileHash: r.fileHash,
      rowsRead: 3,
      rowsInserted: 3,
    });
  });

  it('imports events, keeping repeated rows, creating unknown customers, converting times to UTC', async () => {
    const r = await importCsv(db, id, { kind: 'events', file: csv('events.csv', EVENTS) });
    expect(r).toMatchObject({ rowsRead: 5, rowsInserted: 5, rowsUnchanged: 0 });
    expect(count('customers')).toBe(3); // C1, C2, C4
    const rows = db
      .prepare(
        'SELECT c.customer_id AS id, e.time, e.type, e.amount, e.channel, e.category, e.occurrence FROM events e JOIN customers c ON c.id = e.customer ORDER BY id, time, occurrence'
      )
      .all();
    expect(rows).toEqual([
      {
        id: 'C1',
        time: Date.UTC(2024, 0, 10),
        type: 'purchase',
        amount: 19.99,
        channel: 'web',
        category: 'shoes',
        occurrence: 0,
      },
      {
        id: 'C1',
        time: Date.UTC(2024, 0, 10),
        type: 'purchase',
        amount: 19.99,
        channel: 'web',
        category: 'shoes',
        occurrence: 1,
      },
      {
        id: 'C1',
        time: Date.UTC(2024, 1, 1, 8, 30),
        type: 'purchase',
        amount: 5,
        channel: 'store',
        category: '',
        occurrence: 0,
      },
      {
        id: 'C2',
        time: Date.UTC(2024, 2, 5),
        type: 'visit',
        amount: null,
        channel: 'app',
        category: '',
        occurrence: 0,
      },
      {
        id: 'C4',
        time: Date.UTC(2024, 2, 6, 8),
        type: 'purchase',
        amount: 100,
        channel: 'web',
        category: 'bags',
        occurrence: 0,
      },
    ]);
  });

  it('imports touches and consents (each consent change is a pseudonymous ledger entry)', async () => {
    const t = await importCsv(db, id, {
      kind: 'touches',
      file: csv(
        'touches.csv',
        'customer_id,time,channel,campaign,variant,outcome\nC1,2024-01-01,email,spring,A,opened\nC2,2024-01-01,sms,spring,,\n'
      ),
    });
    expect(t).toMatchObject({ rowsRead: 2, rowsInserted: 2 });
    expect(db.prepare('SELECT variant, outcome FROM touches ORDER BY customer').all()).toEqual([
      { variant: 'A', outcome: 'opened' },
      { variant: '', outcome: 'none' },
    ]);
    const c = await importCsv(db, id, {
      kind: 'consents',
      file: csv(
        'consents.csv',
        'customer_id,purpose,status,time,source\nC1,analytics,granted,2024-01-01,web_form\nC1,analytics,revoked,2024-02-01,\n'
      ),
    });
    expect(c).toMatchObject({ rowsRead: 2, rowsInserted: 2 });
    const entries = listLedger(db, { subject: pseudonymFor(id, 'C1') });
    expect(entries.map((e) => [e.type, e.body])).toEqual([
      ['consent_granted', { purpose: 'analytics', effectiveAt: '2024-01-01T00:00:00.000Z' }],
      ['consent_revoked', { purpose: 'analytics', effectiveAt: '2024-02-01T00:00:00.000Z' }],
    ]);
    expect(JSON.stringify(listLedger(db))).not.toContain('"C1"');
    // The given source is in the erasable private payload; the default label is not stored.
    expect(db.prepare('SELECT payload FROM ledger_private').pluck().all()).toEqual([
      '{"source":"web_form"}',
    ]);
  });

  it('imports a feature table with inferred, kept column types', async () => {
    const file = csv(
      'feat.csv',
      'cust,balance,products,segment,flag\nC1,1200.5,3,retail,1\nC2,80,1,,0\nC3,-5,2,private,\n'
    );
    const r = await importCsv(db, id, {
      kind: 'table',
      file,
      table: 'bank_features',
      idColumn: 'cust',
    });
    expect(r).toMatchObject({ rowsRead: 3, rowsInserted: 3, table: 'bank_features' });
    expect(listFeatureTables(db)).toEqual(['bank_features']);
    expect(featureTableColumns(db, 'bank_features')).toEqual([
      { name: 'balance', type: 'real' },
      { name: 'products', type: 'integer' },
      { name: 'segment', type: 'text' },
      { name: 'flag', type: 'integer' },
    ]);
    const again = await importCsv(db, id, {
      kind: 'table',
      file,
      table: 'bank_features',
      idColumn: 'cust',
    });
    expect(again).toMatchObject({ rowsInserted: 0, rowsUnchanged: 3 });
    await expect(
      importCsv(db, id, { kind: 'table', file, table: 'bank_features', idColumn: 'balance' })
    ).rejects.toThrow(/id column "cust"/);
  });

  it('is idempotent: re-importing every file inserts nothing', async () => {
    const files = { customers: csv('c.csv', CUSTOMERS), events: csv('e.csv', EVENTS) } as const;
    await importCsv(db, id, { kind: 'customers', file: files.customers });
    await importCsv(db, id, { kind: 'events', file: files.events });
    const before = { customers: count('customers'), events: count('events') };
    const c2 = await importCsv(db, id, { kind: 'customers', file: files.customers });
    const e2 = await importCsv(db, id, { kind: 'events', file: files.events });
    expect(c2).toMatchObject({ rowsRead: 3, rowsInserted: 0, rowsUnchanged: 3 });
    expect(e2).toMatchObject({ rowsRead: 5, rowsInserted: 0, rowsUnchanged: 5 });
    expect({ customers: count('customers'), events: count('events') }).toEqual(before);
    // An overlapping file with one more copy of the repeated purchase adds exactly that copy.
    const more = await importCsv(db, id, {
      kind: 'events',
      file: csv(
        'e3.csv',
        'customer_id,time,type,amount,channel,category\nC1,2024-01-10,purchase,19.99,web,shoes\nC1,2024-01-10,purchase,19.99,web,shoes\nC1,2024-01-10,purchase,19.99,web,shoes\n'
      ),
    });
    expect(more).toMatchObject({ rowsInserted: 1, rowsUnchanged: 2 });
    expect(verifyLedger(db)).toMatchObject({ ok: true });
  });

  it('declares a lawful basis once per purpose and records it', async () => {
    const file = csv('c.csv', CUSTOMERS);
    const r = await importCsv(db, id, {
      kind: 'customers',
      file,
      lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
    });
    expect(r.lawfulBasis).toEqual([
      { purpose: 'analytics', basis: 'contract', customers: 3, newlyCovered: 3 },
    ]);
    expect(
      db
        .prepare(
          "SELECT count(*) FROM consents WHERE purpose = 'analytics' AND source = 'lawful_basis:contract' AND status = 'granted'"
        )
        .pluck()
        .get()
    ).toBe(3);
    const again = await importCsv(db, id, {
      kind: 'customers',
      file,
      lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
    });
    expect(again.lawfulBasis).toEqual([
      { purpose: 'analytics', basis: 'contract', customers: 3, newlyCovered: 0 },
    ]);
    const declared = listLedger(db, { type: 'lawful_basis_declared' });
    expect(declared.map((e) => e.body)).toEqual([
      {
        purpose: 'analytics',
        basis: 'contract',
        customers: 3,
        newlyCovered: 3,
        fileHash: sha256Hex(CUSTOMERS),
      },
      {
        purpose: 'analytics',
        basis: 'contract',
        customers: 3,
        newlyCovered: 0,
        fileHash: sha256Hex(CUSTOMERS),
      },
    ]);
    await expect(
      importCsv(db, id, {
        kind: 'customers',
        file,
        lawfulBasis: [{ purpose: 'analytics', basis: 'whim' as 'contract' }],
      })
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('importCsv: bad files change nothing and say where', () => {
  async function snapshot() {
    return {
      customers: count('customers'),
      events: count('events'),
      touches: count('touches'),
      ledger: ledgerSize(db),
    };
  }

  it('bad date', async () => {
    await importCsv(db, id, { kind: 'events', file: csv('ok.csv', EVENTS) });
    const before = await snapshot();
    const file = csv(
      'bad.csv',
      'customer_id,time,type,amount,channel,category\nC9,2024-01-01,purchase,1,web,x\nC9,2024-02-30,purchase,1,web,x\n'
    );
    const e = await expectImportError(importCsv(db, id, { kind: 'events', file }), {
      line: 3,
      column: 'time',
      value: '2024-02-30',
      reason: /expected a date/,
    });
    expect(e.message).toBe(
      'bad.csv:3: column "time": value "2024-02-30": expected a date YYYY-MM-DD or an ISO 8601 datetime (e.g. 2025-03-01T14:30:00Z)'
    );
    expect(await snapshot()).toEqual(before);
    expect(
      db.prepare("SELECT count(*) FROM customers WHERE customer_id = 'C9'").pluck().get()
    ).toBe(0);
  });

  it('non-numeric amount', async () => {
    const file = csv(
      'bad.csv',
      'customer_id,time,type,amount,channel,category\nC1,2024-01-01,purchase,1,web,x\nC1,2024-01-02,purchase,12$,web,x\n'
    );
    await expectImportError(importCsv(db, id, { kind: 'events', file }), {
      line: 3,
      column: 'amount',
      value: '12$',
      reason: /decimal number/,
    });
    expect(count('events')).toBe(0);
  });

  it('counts physical lines across quoted multi-line cells and blank lines', async () => {
    const file = csv(
      'bad.csv',
      'customer_id,signup_date,note\nC1,2024-01-01,"two\nlines"\n\nC2,2024-13-01,x\n'
    );
    await expectImportError(importCsv(db, id, { kind: 'customers', file }), {
      line: 5,
      column: 'signup_date',
      value: '2024-13-01',
      reason: /expected a date/,
    });
    expect(count('customers')).toBe(0);
  });

  it('control characters in labels', async () => {
    const file = csv(
      'bad.csv',
      'customer_id,time,type,amount,channel,category\nC1,2024-01-01,purchase,1,web,"two\nlines"\n'
    );
    await expectImportError(importCsv(db, id, { kind: 'events', file }), {
      line: 3,
      column: 'category',
      value: 'two\nlines',
      reason: /control characters/,
    });
  });

  it('purchase without amount', async () => {
    const file = csv('bad.csv', 'customer_id,time,type,amount\nC1,2024-01-01,,\n');
    await expectImportError(importCsv(db, id, { kind: 'events', file }), {
      line: 2,
      column: 'amount',
      value: '',
      reason: /needs an amount/,
    });
  });

  it('unknown outcome', async () => {
    const file = csv(
      'bad.csv',
      'customer_id,time,channel,campaign,variant,outcome\nC1,2024-01-01,email,c,A,opened\nC1,2024-01-02,email,c,A,bounced\n'
    );
    await expectImportError(importCsv(db, id, { kind: 'touches', file }), {
      line: 3,
      column: 'outcome',
      value: 'bounced',
      reason: /none\|opened\|clicked\|converted/,
    });
    expect(count('touches')).toBe(0);
  });

  it('missing required column, unknown column, duplicate column', async () => {
    await expectImportError(
      importCsv(db, id, { kind: 'events', file: csv('a.csv', 'customer_id,type\nC1,visit\n') }),
      { line: 1, column: 'time', reason: /required column "time" is missing/ }
    );
    await expectImportError(
      importCsv(db, id, {
        kind: 'events',
        file: csv('b.csv', 'customer_id,time,colour\nC1,2024-01-01,red\n'),
      }),
      { line: 1, column: 'colour', reason: /unknown column/ }
    );
    await expectImportError(
      importCsv(db, id, { kind: 'customers', file: csv('c.csv', 'customer_id,age,Age\nC1,1,2\n') }),
      { line: 1, column: 'Age', reason: /duplicate column/ }
    );
    expect(count('customers')).toBe(0);
  });

  it('bad consent status and purpose; wrong column count; empty file', async () => {
    await expectImportError(
      importCsv(db, id, {
        kind: 'consents',
        file: csv('a.csv', 'customer_id,purpose,status,time\nC1,analytics,maybe,2024-01-01\n'),
      }),
      { line: 2, column: 'status', value: 'maybe', reason: /granted\|revoked/ }
    );
    await expectImportError(
      importCsv(db, id, {
        kind: 'consents',
        file: csv('b.csv', 'customer_id,purpose,status,time\nC1,spam,granted,2024-01-01\n'),
      }),
      { line: 2, column: 'purpose', value: 'spam', reason: /analytics/ }
    );
    await expectImportError(
      importCsv(db, id, {
        kind: 'events',
        file: csv(
          'c.csv',
          'customer_id,time,type\nC1,2024-01-01,visit\nC2,2024-01-01,visit,extra\n'
        ),
      }),
      { line: 3, column: null, reason: /malformed CSV/ }
    );
    await expectImportError(importCsv(db, id, { kind: 'events', file: csv('d.csv', '') }), {
      line: 1,
      column: null,
      reason: /empty/,
    });
    expect(count('consents')).toBe(0);
    expect(listLedger(db).map((e) => e.type)).toEqual(['node_initialized']);
  });

  it('truncates long values in messages', async () => {
    const long = 'x'.repeat(300);
    const e = await expectImportError(
      importCsv(db, id, { kind: 'events', file: csv('a.csv', `customer_id,time\nC1,${long}\n`) }),
      { line: 2, column: 'time', reason: /expected a date/ }
    );
    expect(e.value).toBe(`${'x'.repeat(40)}…`);
    expect(e.message.length).toBeLessThan(250);
  });
});
