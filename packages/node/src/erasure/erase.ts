import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import { ProtocolError } from '@fedmark/protocol';
import { pseudonymFor, type NodeIdentity } from '../identity/identity.ts';
import { appendLedgerEntry } from '../ledger/append.ts';
import { listFeatureTables, physicalTableName } from '../store/feature-tables.ts';
import { RowProblem, streamCsv } from '../importing/_csv-stream.ts';
import { CustomerIdSchema } from '../importing/formats.ts';
import { mapHeader } from '../importing/_header.ts';

export interface EraseOptions {
  /** Short non-personal reason recorded in the ledger, e.g. "gdpr_art17_request". */
  reason?: string;
}

export interface EraseResult {
  pseudonym: string;
  rowsDeleted: number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the class deliberately excludes control characters so an erasure reason is printable text
const REASON_RE = /^[^\u0000-\u001f\u007f]{1,200}$/;
const DEFAULT_REASON = 'erasure_request';

function eraseInTransaction(
  db: Database.Database,
  identity: NodeIdentity,
  customerId: string,
  reason: string
): EraseResult {
  const pseudonym = pseudonymFor(identity, customerId);
  const customer = db
    .prepare('SELECT id FROM customers WHERE customer_id = ?')
    .pluck()
    .get(customerId) as number | undefined;
  let rowsDeleted = 0;
  if (customer !== undefined) {
    for (const table of ['events', 'touches', 'consents']) {
      rowsDeleted += db.prepare(`DELETE FROM ${table} WHERE customer = ?`).run(customer).changes;
    }
    for (const t of listFeatureTables(db)) {
      rowsDeleted += db
        .prepare(`DELETE FROM "${physicalTableName(t)}" WHERE customer = ?`)
        .run(customer).changes;
    }
    // The derived per-customer aggregates go too (store/customer-activity.ts); not counted in
    // rowsDeleted, which counts the raw rows the node held about the customer.
    db.prepare('DELETE FROM customer_activity WHERE customer = ?').run(customer);
    rowsDeleted += db.prepare('DELETE FROM customers WHERE id = ?').run(customer).changes;
  }
  // Personal detail committed to by earlier ledger entries goes too; the entries still verify.
  rowsDeleted += db.prepare('DELETE FROM ledger_private WHERE subject = ?').run(pseudonym).changes;
  // The tombstone keeps the customer out of every later import (and consent) by pseudonym only.
  db.prepare('INSERT OR IGNORE INTO erased_customers (pseudonym, at) VALUES (?, ?)').run(
    pseudonym,
    new Date().toISOString()
  );
  appendLedgerEntry(db, { type: 'erasure', subject: pseudonym, body: { rowsDeleted, reason } });
  return { pseudonym, rowsDeleted };
}

/**
 * Moves committed deletions out of the WAL into the main file (where secure_delete has zeroed
 * them) and truncates the WAL: old WAL frames would otherwise still hold the erased rows until
 * the next checkpoint. Returns false if a reader kept an older snapshot open, in which case the
 * WAL could not be fully reset yet (SQLite retries on later checkpoints).
 */
export function scrubWal(db: Database.Database): boolean {
  const r = db.pragma('wal_checkpoint(TRUNCATE)') as {
    busy: number;
    log: number;
    checkpointed: number;
  }[];
  return r[0]?.busy === 0;
}

function checkReason(opts: EraseOptions): string {
  const reason = opts.reason ?? DEFAULT_REASON;
  if (!REASON_RE.test(reason))
    throw new ProtocolError('BAD_REQUEST', 'reason: expected 1-200 printable characters');
  return reason;
}

/**
 * Right to erasure (GDPR Art. 17; docs/node-data.md "Erasure (right to be forgotten)"): deletes
 * every raw row about the customer (customer, events, touches, consents, feature-table rows,
 * private ledger payloads), leaves a pseudonymous tombstone and an `erasure` ledger entry, all in
 * one transaction; then truncates the WAL so the bytes are gone from the files, not just
 * unreachable.
 */
export function eraseCustomer(
  db: Database.Database,
  identity: NodeIdentity,
  customerId: string,
  opts: EraseOptions = {}
): EraseResult {
  const id = CustomerIdSchema.safeParse(customerId);
  if (!id.success)
    throw new ProtocolError(
      'BAD_REQUEST',
      `customerId: ${id.error.issues[0]?.message ?? 'invalid'}`
    );
  const reason = checkReason(opts);
  if (db.inTransaction)
    throw new Error(
      'eraseCustomer must not run inside another transaction (it checkpoints after commit)'
    );
  const result = db
    .transaction(() => eraseInTransaction(db, identity, id.data, reason))
    .immediate();
  scrubWal(db);
  return result;
}

export interface EraseBatchResult {
  file: string;
  customers: number;
  rowsDeleted: number;
  results: EraseResult[];
}

/**
 * Erases every customer listed in a CSV file with a `customer_id` column (other columns are
 * ignored), all in one transaction: a bad line erases nothing and names its line.
 */
export async function eraseCustomersFromFile(
  db: Database.Database,
  identity: NodeIdentity,
  file: string,
  opts: EraseOptions = {}
): Promise<EraseBatchResult> {
  const reason = checkReason(opts);
  const label = basename(file);
  const ids: string[] = [];
  let idIndex = -1;
  await streamCsv(file, label, {
    onHeader: (cells) => {
      idIndex = mapHeader(cells, {
        required: ['customer_id'],
        optional: [],
        allowExtra: true,
      }).index.get('customer_id') as number;
    },
    onRecord: (cells) => {
      const raw = cells[idIndex] as string;
      const r = CustomerIdSchema.safeParse(raw);
      if (!r.success)
        throw new RowProblem(
          'customer_id',
          raw,
          r.error.issues[0]?.message ?? 'invalid customer id'
        );
      ids.push(r.data);
    },
  });
  if (db.inTransaction)
    throw new Error('eraseCustomersFromFile must not run inside another transaction');
  const results = db
    .transaction(() => [...new Set(ids)].map((id) => eraseInTransaction(db, identity, id, reason)))
    .immediate();
  scrubWal(db);
  return {
    file: label,
    customers: results.length,
    rowsDeleted: results.reduce((s, r) => s + r.rowsDeleted, 0),
    results,
  };
}
