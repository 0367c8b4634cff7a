import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { appendLedgerEntry, padLedgerToBucket } from '../ledger/index.ts';
import { queryLedgerPage } from './ledger-query.ts';

// The console ledger browser hides checkpoint padding unless asked (docs/audit.md "Checkpoint padding").
let db: Database.Database;
useTempDatabase('console-padding-', (t) => ({ db } = t));

describe('queryLedgerPage and padding', () => {
  it('leaves padding out of unfiltered pages, pages across it, and lists it under its type', () => {
    for (let i = 0; i < 3; i++) appendLedgerEntry(db, { type: 'import', body: { i } });
    padLedgerToBucket(db, new Date('2026-01-01T00:00:00.000Z'));
    appendLedgerEntry(db, { type: 'import', body: { i: 3 } });
    const newest = queryLedgerPage(db, {}, null, 2);
    expect(newest.entries.map((e) => e.seq)).toEqual([64, 2]);
    expect(newest.olderBefore).toBe(2);
    const older = queryLedgerPage(db, {}, { before: 2 }, 2);
    expect(older.entries.map((e) => e.seq)).toEqual([1, 0]);
    expect(queryLedgerPage(db, {}, { after: 2 }, 2).entries.map((e) => e.seq)).toEqual([64]);
    const padding = queryLedgerPage(db, { type: 'padding' }, null, 1000).entries;
    expect(padding.map((e) => e.seq)).toEqual(Array.from({ length: 61 }, (_, i) => 63 - i));
  });
});
