import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import { ProtocolError, PurposeSchema, type Purpose } from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/identity.ts';
import { appendLedgerEntry } from '../ledger/append.ts';
import { TempIdSet } from '../store/temp-id-set.ts';
import { CustomerResolver } from './_customer-resolver.ts';
import { streamCsv } from './_csv-stream.ts';
import type { KindWriter, WriterContext } from './_writer.ts';
import { consentsWriter } from './consents-writer.ts';
import { customersWriter } from './customers-writer.ts';
import { eventsWriter, touchesWriter } from './events-writer.ts';
import { IMPORT_ENCODINGS, IMPORT_KINDS, type ImportEncoding, type ImportKind } from './formats.ts';
import { tableWriter } from './table-writer.ts';

export const LAWFUL_BASES = [
  'contract',
  'legitimate_interest',
  'legal_obligation',
  'consent',
] as const;
export type LawfulBasis = (typeof LAWFUL_BASES)[number];

export interface ImportCsvOptions {
  kind: ImportKind;
  file: string;
  /** Feature table name (kind 'table'). */
  table?: string;
  /** Id column of a feature table (kind 'table'); default customer_id. */
  idColumn?: string;
  /** Declares a lawful basis per purpose for every customer the file names (GDPR Art. 6(1)). */
  lawfulBasis?: { purpose: Purpose; basis: LawfulBasis }[];
  /**
   * How the file's bytes are decoded: 'utf-8' (default) refuses any invalid byte, naming its
   * offset; 'latin1' converts every byte (ISO 8859-1), and only when the user asks for it.
   */
  encoding?: ImportEncoding;
  onProgress?: (rows: number, bytes: number, totalBytes: number) => void;
  /** Files from this size on are parsed in a worker thread (default 8 MiB; tests lower it). */
  workerMinBytes?: number;
}

export interface ImportReport {
  kind: ImportKind;
  file: string;
  /** SHA-256 of the file bytes, hex. */
  fileHash: string;
  rowsRead: number;
  /** Rows stored that were not there before (customers, feature-table rows, events, ...). */
  rowsInserted: number;
  /**
   * Rows already stored (from an earlier import) whose values this file changed: customers and
   * feature tables only, whose rows are keyed by customer. Always 0 for the other kinds.
   */
  rowsChanged: number;
  /** Rows already present with the same values (re-import). */
  rowsUnchanged: number;
  /** Rows about customers erased earlier: never imported again. */
  rowsSkippedErased: number;
  table?: string;
  /** Per declared purpose: customers newly covered by the lawful basis. */
  lawfulBasis?: { purpose: Purpose; basis: LawfulBasis; customers: number; newlyCovered: number }[];
}

function validateOptions(opts: ImportCsvOptions): void {
  if (!(IMPORT_KINDS as readonly string[]).includes(opts.kind)) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `unknown import kind "${String(opts.kind)}"; expected ${IMPORT_KINDS.join('|')}`
    );
  }
  if (opts.kind === 'table' && !opts.table)
    throw new ProtocolError('BAD_REQUEST', 'a table import needs a table name (--table)');
  if (opts.kind !== 'table' && (opts.table !== undefined || opts.idColumn !== undefined)) {
    throw new ProtocolError('BAD_REQUEST', '--table and --id-column apply to --kind table only');
  }
  if (
    opts.encoding !== undefined &&
    !(IMPORT_ENCODINGS as readonly string[]).includes(opts.encoding)
  )
    throw new ProtocolError(
      'BAD_REQUEST',
      `unknown encoding "${String(opts.encoding)}"; expected ${IMPORT_ENCODINGS.join('|')}`
    );
  const purposes = new Set<string>();
  for (const lb of opts.lawfulBasis ?? []) {
    if (!PurposeSchema.safeParse(lb.purpose).success)
      throw new ProtocolError('BAD_REQUEST', `unknown purpose "${String(lb.purpose)}"`);
    if (!(LAWFUL_BASES as readonly string[]).includes(lb.basis)) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `unknown lawful basis "${String(lb.basis)}"; expected ${LAWFUL_BASES.join('|')}`
      );
    }
    if (purposes.has(lb.purpose))
      throw new ProtocolError(
        'BAD_REQUEST',
        `lawful basis declared twice for purpose "${lb.purpose}"`
      );
    purposes.add(lb.purpose);
  }
}

/**
 * Streams one CSV file into the store inside ONE transaction: a bad row anywhere leaves the
 * database exactly as it was. The transaction stays open across the async parse, so nothing else
 * may use this connection meanwhile (other processes keep reading the last commit, WAL).
 */
export async function importCsv(
  db: Database.Database,
  identity: NodeIdentity,
  opts: ImportCsvOptions
): Promise<ImportReport> {
  validateOptions(opts);
  if (db.inTransaction) throw new Error('importCsv must not run inside another transaction');
  const label = basename(opts.file);
  const nowDate = new Date();
  db.exec('BEGIN IMMEDIATE');
  try {
    const importId = Number(
      db
        .prepare('INSERT INTO imports (kind, file_hash, at) VALUES (?, ?, ?)')
        .run(opts.kind, '', nowDate.toISOString()).lastInsertRowid
    );
    const lawful = opts.lawfulBasis ?? [];
    // The customers the file names, for the lawful basis (declareLawfulBasis reads the table).
    const noted = lawful.length > 0 ? new TempIdSet(db, 'import_customers') : null;
    const ctx: WriterContext = {
      db,
      identity,
      importId,
      resolver: new CustomerResolver(db, identity, importId),
      now: nowDate.getTime(),
      noteCustomer: noted ? (rowid) => noted.add(rowid) : null,
    };
    const writer = makeWriter(ctx, opts);
    const csv = await streamCsv(
      opts.file,
      label,
      {
        onHeader: (cells) => writer.header(cells),
        onRecord: (cells) => writer.record(cells),
        onProgress: opts.onProgress,
      },
      { encoding: opts.encoding ?? 'utf-8', workerMinBytes: opts.workerMinBytes }
    );
    writer.finish();
    db.prepare('UPDATE imports SET file_hash = ? WHERE id = ?').run(csv.fileHash, importId);
    const report: ImportReport = {
      kind: opts.kind,
      file: label,
      fileHash: csv.fileHash,
      rowsRead: csv.records,
      rowsInserted: writer.inserted,
      rowsChanged: writer.changed,
      rowsUnchanged: writer.unchanged,
      rowsSkippedErased: ctx.resolver.skippedErased,
      ...(opts.table !== undefined ? { table: opts.table } : {}),
    };
    if (noted) {
      noted.write();
      report.lawfulBasis = lawful.map((lb) => declareLawfulBasis(db, lb, csv.fileHash, ctx.now));
    }
    appendLedgerEntry(db, {
      type: 'import',
      at: nowDate,
      body: {
        kind: report.kind,
        file: report.file,
        fileHash: report.fileHash,
        rowsRead: report.rowsRead,
        rowsInserted: report.rowsInserted,
        rowsChanged: report.rowsChanged,
        rowsUnchanged: report.rowsUnchanged,
        rowsSkippedErased: report.rowsSkippedErased,
        ...(opts.table !== undefined ? { table: opts.table } : {}),
      },
    });
    db.exec('COMMIT');
    return report;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

function makeWriter(ctx: WriterContext, opts: ImportCsvOptions): KindWriter {
  switch (opts.kind) {
    case 'customers':
      return customersWriter(ctx);
    case 'events':
      return eventsWriter(ctx);
    case 'touches':
      return touchesWriter(ctx);
    case 'consents':
      return consentsWriter(ctx);
    case 'table':
      return tableWriter(ctx, opts.table as string, opts.idColumn ?? 'customer_id');
  }
}

/**
 * Gives every customer named by the file a consent-in-force for `purpose` from the import time,
 * source `lawful_basis:<basis>`, unless that exact basis is already what is in force (so a
 * re-import adds nothing), and writes one lawful_basis_declared ledger entry.
 */
function declareLawfulBasis(
  db: Database.Database,
  lb: { purpose: Purpose; basis: LawfulBasis },
  fileHash: string,
  now: number
): { purpose: Purpose; basis: LawfulBasis; customers: number; newlyCovered: number } {
  const source = `lawful_basis:${lb.basis}`;
  const customers = db
    .prepare('SELECT count(*) FROM temp.import_customers')
    .pluck()
    .get() as number;
  const newlyCovered = db
    .prepare(
      `INSERT OR IGNORE INTO consents (customer, purpose, time, status, source)
       SELECT c.id, :purpose, :consentAt, 'granted', :source
       FROM temp.import_customers ic JOIN customers c ON c.id = ic.customer
       WHERE coalesce((SELECT k.status || '|' || k.source FROM consents k
         WHERE k.customer = c.id AND k.purpose = :purpose AND k.time <= :consentAt
         ORDER BY k.time DESC, k.status DESC LIMIT 1), '') <> 'granted|' || :source`
    )
    .run({ purpose: lb.purpose, consentAt: now, source }).changes;
  appendLedgerEntry(db, {
    type: 'lawful_basis_declared',
    at: new Date(now),
    body: { purpose: lb.purpose, basis: lb.basis, customers, newlyCovered, fileHash },
  });
  return { purpose: lb.purpose, basis: lb.basis, customers, newlyCovered };
}
