import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useTempNode } from '../_testing/temp-node.ts';
import { pseudonymFor, type NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';
import { grantConsent } from '../consent/index.ts';
import { listLedger, verifyLedger } from '../ledger/index.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import { createUnitSource } from '../store/index.ts';
import { eraseCustomer, eraseCustomersFromFile } from './index.ts';

let root: string;
let dir: string;
let db: Database.Database;
let id: NodeIdentity;

useTempNode('erase-', 'n', (t) => ({ root, dir, db, identity: id } = t));

function csv(name: string, text: string): string {
  const f = join(root, name);
  writeFileSync(f, text);
  return f;
}

function float64BE(x: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b;
}

function fileBytes(): Buffer {
  const parts = [readFileSync(join(dir, 'node.db'))];
  if (existsSync(join(dir, 'node.db-wal'))) parts.push(readFileSync(join(dir, 'node.db-wal')));
  return Buffer.concat(parts);
}

const CANARY_ID = 'CANARY-ERASE-7731';
const KEEP_ID = 'KEEP-4242';

async function loadCanaries(): Promise<void> {
  await importCsv(db, id, {
    kind: 'customers',
    file: csv(
      'customers.csv',
      `customer_id,signup_date,nickname\n${CANARY_ID},2020-01-01,qqcanarynickqq\n${KEEP_ID},2020-01-01,keepnick\n`
    ),
  });
  await importCsv(db, id, {
    kind: 'events',
    file: csv(
      'events.csv',
      `customer_id,time,type,amount,channel,category\n${CANARY_ID},2024-01-01,purchase,98765.43,web,zzcanaryzz\n${CANARY_ID},2024-01-02,purchase,98765.43,web,zzcanaryzz\n${KEEP_ID},2024-01-01,purchase,12345.67,web,keepcategory\n`
    ),
  });
  await importCsv(db, id, {
    kind: 'touches',
    file: csv(
      'touches.csv',
      `customer_id,time,channel,campaign,variant,outcome\n${CANARY_ID},2024-01-01,email,xxcanarycampaignxx,A,clicked\n`
    ),
  });
  await importCsv(db, id, {
    kind: 'table',
    table: 'features',
    file: csv('features.csv', `customer_id,risk\n${CANARY_ID},yycanaryriskyy\n${KEEP_ID},low\n`),
  });
  grantConsent(db, id, { customerId: CANARY_ID, purpose: 'analytics', source: 'web_form' });
  grantConsent(db, id, { customerId: KEEP_ID, purpose: 'analytics', source: 'web_form' });
  // A ledger entry with a private payload about the canary (the side table must be erased too).
  appendLedgerEntry(db, {
    type: 'release',
    subject: pseudonymFor(id, CANARY_ID),
    body: { n: 1 },
    privatePayload: { note: 'wwcanaryprivateww' },
  });
}

const CANARY_STRINGS = [
  CANARY_ID,
  'zzcanaryzz',
  'qqcanarynickqq',
  'xxcanarycampaignxx',
  'yycanaryriskyy',
  'wwcanaryprivateww',
  '98765.43',
];

describe('eraseCustomer', () => {
  it('leaves no byte of the erased customer in node.db or its WAL, and keeps the others', async () => {
    await loadCanaries();
    const before = fileBytes();
    // Sanity: the canaries are really in the files before erasure, so the scan can fail.
    expect(before.includes(CANARY_ID)).toBe(true);
    expect(before.includes(float64BE(98765.43))).toBe(true);

    const r = eraseCustomer(db, id, CANARY_ID, { reason: 'gdpr_art17_request' });
    // customer + 2 events + 1 touch + 1 consent + 1 feature row + 2 private payloads (the
    // consent's source and the other entry's payload)
    expect(r).toEqual({ pseudonym: pseudonymFor(id, CANARY_ID), rowsDeleted: 8 });

    const after = fileBytes();
    for (const s of CANARY_STRINGS) expect(after.includes(s), s).toBe(false);
    expect(after.includes(float64BE(98765.43))).toBe(false);
    expect(after.includes(KEEP_ID)).toBe(true);
    expect(after.includes('keepcategory')).toBe(true);
    expect(after.includes(float64BE(12345.67))).toBe(true);

    const last = listLedger(db, { type: 'erasure' });
    expect(last.map((e) => [e.subject, e.body])).toEqual([
      [r.pseudonym, { rowsDeleted: 8, reason: 'gdpr_art17_request' }],
    ]);
    expect(verifyLedger(db)).toMatchObject({ ok: true });
    const src = createUnitSource(db, { purpose: 'analytics', asOf: '2100-01-01' });
    expect([...src.customers()].map((c) => c.customerId)).toEqual([KEEP_ID]);
  });

  it('keeps an erased customer out of later imports and consents (tombstone)', async () => {
    await loadCanaries();
    eraseCustomer(db, id, CANARY_ID);
    const r = await importCsv(db, id, {
      kind: 'events',
      file: csv(
        'again.csv',
        `customer_id,time,type,amount\n${CANARY_ID},2024-03-01,purchase,5\n${CANARY_ID},2024-03-02,purchase,6\nNEW-1,2024-03-01,purchase,7\n`
      ),
    });
    expect(r).toMatchObject({ rowsRead: 3, rowsInserted: 1, rowsSkippedErased: 2 });
    const c = await importCsv(db, id, {
      kind: 'customers',
      file: csv('c2.csv', `customer_id\n${CANARY_ID}\n`),
    });
    expect(c).toMatchObject({ rowsInserted: 0, rowsSkippedErased: 1 });
    expect(
      db.prepare('SELECT count(*) FROM customers WHERE customer_id = ?').pluck().get(CANARY_ID)
    ).toBe(0);
    expect(() =>
      grantConsent(db, id, { customerId: CANARY_ID, purpose: 'analytics', source: 'x' })
    ).toThrow(/erased/);
  });

  it('erases a batch from a file in one transaction; a bad line erases nothing', async () => {
    await loadCanaries();
    await expect(
      eraseCustomersFromFile(db, id, csv('bad.csv', `customer_id\n${CANARY_ID}\n\u0001\n`))
    ).rejects.toMatchObject({ code: 'IMPORT_INVALID', line: 3 });
    expect(db.prepare('SELECT count(*) FROM customers').pluck().get()).toBe(2);
    const r = await eraseCustomersFromFile(
      db,
      id,
      csv('ok.csv', `customer_id,note\n${CANARY_ID},x\n${KEEP_ID},y\n${CANARY_ID},dup\n`)
    );
    expect(r).toMatchObject({ file: 'ok.csv', customers: 2 });
    expect(db.prepare('SELECT count(*) FROM customers').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    expect(listLedger(db, { type: 'erasure' }).length).toBe(2);
  });

  it('tombstones a customer the node never held, and refuses bad input', () => {
    expect(eraseCustomer(db, id, 'NEVER-SEEN')).toEqual({
      pseudonym: pseudonymFor(id, 'NEVER-SEEN'),
      rowsDeleted: 0,
    });
    expect(db.prepare('SELECT count(*) FROM erased_customers').pluck().get()).toBe(1);
    expect(() => eraseCustomer(db, id, '')).toThrow(/customerId/);
    expect(() => eraseCustomer(db, id, 'X', { reason: 'bad\nreason' })).toThrow(/reason/);
  });
});
