import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useTempNode } from '../_testing/temp-node.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { ledgerSize, listLedger } from '../ledger/index.ts';
import { physicalTableName } from '../store/feature-tables.ts';
import { ImportError, importCsv } from './index.ts';

let dir: string;
let db: Database.Database;
let id: NodeIdentity;
useTempNode('import-dup-', 'n1', (t) => ({ root: dir, db, identity: id } = t));

function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
const count = (table: string): number =>
  db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

async function rejection(p: Promise<unknown>): Promise<ImportError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x
  );
  expect(e).toBeInstanceOf(ImportError);
  return e as ImportError;
}

describe('importCsv: a key twice in one file', () => {
  it('refuses a customer id repeated in a customers file, naming both lines; nothing is written', async () => {
    const before = ledgerSize(db);
    const file = csv('customers.csv', 'customer_id,city\nC1,Lyon\n"C2",Nice\nC1,Paris\n');
    const e = await rejection(importCsv(db, id, { kind: 'customers', file }));
    expect(e.message).toBe(
      'customers.csv:4: column "customer_id": value "C1": appears again (first at line 2)'
    );
    expect([e.line, e.column, e.value]).toEqual([4, 'customer_id', 'C1']);
    expect([count('customers'), ledgerSize(db)]).toEqual([0, before]);
  });

  it('counts a quoted multi-line cell when naming the first line (a record is named by the line it ends on, as every import error)', async () => {
    const file = csv('customers.csv', 'customer_id,note\nC1,"two\nlines"\nC2,x\nC1,y\n');
    const e = await rejection(importCsv(db, id, { kind: 'customers', file }));
    expect(e.message).toBe(
      'customers.csv:5: column "customer_id": value "C1": appears again (first at line 3)'
    );
  });

  it('refuses a repeated id in a feature table, in the declared id column', async () => {
    const file = csv('f.csv', 'Cust,balance\nC1,10\nC2,20\nC2,30\n');
    const e = await rejection(
      importCsv(db, id, { kind: 'table', file, table: 'bank', idColumn: 'cust' })
    );
    expect(e.message).toBe('f.csv:4: column "cust": value "C2": appears again (first at line 3)');
    expect(count('customers')).toBe(0);
  });

  it('reports inserted, changed and unchanged rows truthfully, and stays idempotent', async () => {
    const first = csv('c1.csv', 'customer_id,city\nC1,Lyon\nC2,Nice\n');
    expect(await importCsv(db, id, { kind: 'customers', file: first })).toMatchObject({
      rowsRead: 2,
      rowsInserted: 2,
      rowsChanged: 0,
      rowsUnchanged: 0,
    });
    const second = csv('c2.csv', 'customer_id,city\nC1,Paris\nC2,Nice\nC3,Metz\n');
    expect(await importCsv(db, id, { kind: 'customers', file: second })).toMatchObject({
      rowsRead: 3,
      rowsInserted: 1,
      rowsChanged: 1,
      rowsUnchanged: 1,
    });
    expect(await importCsv(db, id, { kind: 'customers', file: second })).toMatchObject({
      rowsInserted: 0,
      rowsChanged: 0,
      rowsUnchanged: 3,
    });
    const t1 = csv('t1.csv', 'customer_id,score\nC1,1\nC2,2\n');
    const t2 = csv('t2.csv', 'customer_id,score\nC1,1\nC2,5\nC4,4\n');
    expect(await importCsv(db, id, { kind: 'table', file: t1, table: 'scores' })).toMatchObject({
      rowsInserted: 2,
      rowsChanged: 0,
      rowsUnchanged: 0,
    });
    expect(await importCsv(db, id, { kind: 'table', file: t2, table: 'scores' })).toMatchObject({
      rowsInserted: 1,
      rowsChanged: 1,
      rowsUnchanged: 1,
    });
    const last = listLedger(db, { type: 'import' }).at(-1);
    expect(last?.body).toMatchObject({ rowsInserted: 1, rowsChanged: 1, rowsUnchanged: 1 });
    expect([count('customers'), count(physicalTableName('scores'))]).toEqual([4, 3]);
  });

  it('keeps identical event rows of one file (events are not keyed by customer)', async () => {
    const file = csv(
      'e.csv',
      'customer_id,time,type,amount\nC1,2024-01-10,purchase,5\nC1,2024-01-10,purchase,5\n'
    );
    expect(await importCsv(db, id, { kind: 'events', file })).toMatchObject({
      rowsInserted: 2,
      rowsChanged: 0,
      rowsUnchanged: 0,
    });
  });
});
