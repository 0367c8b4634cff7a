import type Database from 'better-sqlite3';
import {
  canonicalBytes,
  type Canonical,
  type LedgerEntry,
  type LedgerEntryType,
} from '@fedmark/protocol';
import { rowToEntry, type LedgerRow } from './_row.ts';

export interface ListLedgerOptions {
  fromSeq?: number;
  limit?: number;
  type?: LedgerEntryType;
  subject?: string;
  /** false leaves out `padding` entries (docs/audit.md "Checkpoint padding"); default true. */
  padding?: boolean;
}

export function listLedger(db: Database.Database, opts: ListLedgerOptions = {}): LedgerEntry[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (opts.fromSeq !== undefined) {
    if (!Number.isSafeInteger(opts.fromSeq) || opts.fromSeq < 0)
      throw new RangeError('"fromSeq" expected a non-negative integer');
    where.push('seq >= ?');
    params.push(opts.fromSeq);
  }
  if (opts.type !== undefined) {
    where.push('type = ?');
    params.push(opts.type);
  }
  if (opts.padding === false) where.push("type <> 'padding'");
  if (opts.subject !== undefined) {
    where.push('subject = ?');
    params.push(opts.subject);
  }
  let sql = 'SELECT * FROM ledger';
  if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
  sql += ' ORDER BY seq';
  if (opts.limit !== undefined) {
    if (!Number.isSafeInteger(opts.limit) || opts.limit < 0)
      throw new RangeError('"limit" expected a non-negative integer');
    sql += ' LIMIT ?';
    params.push(opts.limit);
  }
  return (db.prepare(sql).all(...params) as LedgerRow[]).map(rowToEntry);
}

export function ledgerSize(db: Database.Database): number {
  const row = db.prepare('SELECT max(seq) AS m FROM ledger').get() as { m: number | null };
  return row.m === null ? 0 : row.m + 1;
}

export function ledgerEntryLeafBytes(entry: LedgerEntry): Uint8Array {
  return canonicalBytes('ledger-leaf', {
    seq: entry.seq,
    type: entry.type,
    at: entry.at,
    subject: entry.subject,
    body: entry.body as Record<string, Canonical>,
    commitment: entry.commitment,
    prevHash: entry.prevHash,
    hash: entry.hash,
  });
}
