import type Database from 'better-sqlite3';
import { LEDGER_ENTRY_TYPES, type LedgerEntry, type LedgerEntryType } from '@fedmark/protocol';
import { rowToEntry, type LedgerRow } from '../ledger/_row.ts';

/** Entries per console page: a screenful, and a bounded query on a 1M-entry ledger. */
export const LEDGER_PAGE_SIZE = 50;

export interface LedgerFilter {
  /** Without a type, `padding` entries are left out (docs/audit.md "Checkpoint padding"). */
  type?: LedgerEntryType;
  /** ISO timestamps: from inclusive, to exclusive (the ledger's `at` is ISO text, so they sort). */
  fromIso?: string;
  toIso?: string;
  /** Lower-case hex prefix of the subject pseudonym (1-64 characters). */
  pseudonymPrefix?: string;
}

/** Where a page starts: entries older than `before`, newer than `after`, or the newest. */
export type LedgerCursor = { before: number } | { after: number } | null;

export interface LedgerPageData {
  /** Newest first. */
  entries: LedgerEntry[];
  /** Cursor values for the "newer" and "older" links; null when there is nothing that way. */
  newerAfter: number | null;
  olderBefore: number | null;
}

const TYPES: ReadonlySet<string> = new Set(LEDGER_ENTRY_TYPES);

/**
 * A filtered page of the ledger, newest first, with keyset paging by seq (stable while entries
 * are appended, unlike OFFSET). listLedger reads in ascending order from a seq with type or
 * exact-subject filters only; the browser also needs time ranges, pseudonym prefixes and
 * descending pages, so the query lives here. The prefix becomes a range on `subject`, which the
 * ledger_by_subject index serves; the type filter uses ledger_by_type(type, seq).
 */
export function queryLedgerPage(
  db: Database.Database,
  filter: LedgerFilter,
  cursor: LedgerCursor,
  pageSize = LEDGER_PAGE_SIZE
): LedgerPageData {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000)
    throw new RangeError('"pageSize" expected an integer in 1..1000');
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.type !== undefined) {
    if (!TYPES.has(filter.type))
      throw new TypeError(`"type" expected one of ${LEDGER_ENTRY_TYPES.join('|')}`);
    where.push('type = ?');
    params.push(filter.type);
  } else {
    // Up to 63 padding entries precede each checkpoint and record nothing: listing them would
    // fill the newest page. Choosing the type `padding` lists them.
    where.push("type <> 'padding'");
  }
  if (filter.fromIso !== undefined) {
    where.push('at >= ?');
    params.push(filter.fromIso);
  }
  if (filter.toIso !== undefined) {
    where.push('at < ?');
    params.push(filter.toIso);
  }
  if (filter.pseudonymPrefix !== undefined) {
    const p = filter.pseudonymPrefix;
    if (!/^[0-9a-f]{1,64}$/.test(p))
      throw new TypeError('"pseudonymPrefix" expected 1-64 lower-case hex characters');
    where.push('subject >= ? AND subject <= ?');
    params.push(p, p.padEnd(64, 'f'));
  }
  const cond = (extra: string) => ['1', ...where, extra].join(' AND ');
  const select = (extra: string, order: 'ASC' | 'DESC', value: number, limit: number) =>
    db
      .prepare(`SELECT * FROM ledger WHERE ${cond(extra)} ORDER BY seq ${order} LIMIT ?`)
      .all(...params, value, limit) as LedgerRow[];
  const exists = (extra: string, value: number) =>
    db.prepare(`SELECT 1 FROM ledger WHERE ${cond(extra)} LIMIT 1`).get(...params, value) !==
    undefined;

  const rows =
    cursor !== null && 'after' in cursor
      ? select('seq > ?', 'ASC', cursor.after, pageSize).reverse()
      : select(
          'seq < ?',
          'DESC',
          cursor !== null ? cursor.before : Number.MAX_SAFE_INTEGER,
          pageSize
        );
  const entries = rows.map(rowToEntry);
  const newest = entries[0];
  const oldest = entries.at(-1);
  if (!newest || !oldest) {
    // An empty page still offers the way back to where entries are.
    if (cursor === null) return { entries, newerAfter: null, olderBefore: null };
    if ('after' in cursor)
      return {
        entries,
        newerAfter: null,
        olderBefore: exists('seq <= ?', cursor.after) ? cursor.after + 1 : null,
      };
    return {
      entries,
      newerAfter: exists('seq >= ?', cursor.before) ? cursor.before - 1 : null,
      olderBefore: null,
    };
  }
  return {
    entries,
    newerAfter: exists('seq > ?', newest.seq) ? newest.seq : null,
    olderBefore: exists('seq < ?', oldest.seq) ? oldest.seq : null,
  };
}
