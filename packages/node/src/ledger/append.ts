import type Database from 'better-sqlite3';
import {
  GENESIS_HASH,
  LEDGER_ENTRY_TYPES,
  type Canonical,
  type LedgerEntry,
  type LedgerEntryType,
} from '@fedmark/protocol';
import { assertJsonSafe, entryHash, privateCommitment } from './_row.ts';
import { randomSalt } from './_salt-pool.ts';

export interface AppendLedgerInput {
  type: LedgerEntryType;
  /** Non-personal facts only: counts, hashes, epsilon, reasons. Must be plain JSON. */
  body: Record<string, Canonical>;
  /** A keyed pseudonym (64 hex), never a raw customer id. */
  subject?: string | null;
  /** Personal detail kept off the chain: stored in ledger_private, committed to by hash. */
  privatePayload?: Canonical;
  at?: Date;
}

interface PreparedEntry {
  type: LedgerEntryType;
  at: string;
  subject: string | null;
  body: Record<string, Canonical>;
  bodyJson: string;
  commitment: string | null;
  priv: { salt: Uint8Array; payloadJson: string } | null;
}

interface Statements {
  head: Database.Statement;
  insert: Database.Statement;
  insertPrivate: Database.Statement;
  /**
   * Built once per connection: creating a better-sqlite3 transaction function per call is
   * costly. Writes the entries in order after the current head, in one transaction (a savepoint
   * inside a caller's).
   */
  write: Database.Transaction<(es: readonly PreparedEntry[]) => LedgerEntry[]>;
}

const STATEMENTS = new WeakMap<Database.Database, Statements>();

function statements(db: Database.Database): Statements {
  let s = STATEMENTS.get(db);
  if (!s) {
    const head = db.prepare('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1');
    const insert = db.prepare(
      'INSERT INTO ledger (seq, type, at, subject, body, commitment, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    );
    const insertPrivate = db.prepare(
      'INSERT INTO ledger_private (seq, subject, salt, payload) VALUES (?, ?, ?, ?)'
    );
    const write = db.transaction((es: readonly PreparedEntry[]): LedgerEntry[] => {
      const last = head.get() as { seq: number; hash: string } | undefined;
      let seq = last ? last.seq + 1 : 0;
      let prevHash = last ? last.hash : GENESIS_HASH;
      const written: LedgerEntry[] = [];
      for (const e of es) {
        const { type, at, subject, body, commitment } = e;
        const hash = entryHash({ seq, type, at, subject, body, commitment, prevHash });
        insert.run(seq, type, at, subject, e.bodyJson, commitment, prevHash, hash);
        if (e.priv) insertPrivate.run(seq, subject, e.priv.salt, e.priv.payloadJson);
        written.push({ seq, type, at, subject, body, commitment, prevHash, hash });
        seq++;
        prevHash = hash;
      }
      return written;
    });
    s = { head, insert, insertPrivate, write };
    STATEMENTS.set(db, s);
  }
  return s;
}

const SUBJECT_RE = /^[0-9a-f]{64}$/;
const TYPES: ReadonlySet<string> = new Set(LEDGER_ENTRY_TYPES);

/** Checks one entry and turns it into what write() stores; throws on a bad entry. */
function prepareEntry(entry: AppendLedgerInput): PreparedEntry {
  const type = entry.type;
  if (!TYPES.has(type))
    throw new TypeError(
      `"type" expected one of ${LEDGER_ENTRY_TYPES.join('|')}, got ${String(type).slice(0, 32)}`
    );
  const subject = entry.subject ?? null;
  if (subject !== null && !SUBJECT_RE.test(subject)) {
    // Never echo the value: a caller passing a raw customer id here must not leak it into logs.
    throw new TypeError(
      '"subject" expected a 64-hex pseudonym (pseudonymFor), not a raw identifier'
    );
  }
  if (typeof entry.body !== 'object' || entry.body === null || Array.isArray(entry.body)) {
    throw new TypeError('"body" expected a plain object');
  }
  assertJsonSafe(entry.body, 'body');
  // The verifiers refuse padding with content (ledger/_chain-row.ts): refuse it here first.
  if (
    type === 'padding' &&
    (subject !== null || entry.privatePayload !== undefined || Object.keys(entry.body).length > 0)
  )
    throw new TypeError('"padding" entries expected body {}, no subject and no private payload');
  const bodyJson = JSON.stringify(entry.body);
  // Hash what will be read back, so verification from the stored row always agrees.
  const body = JSON.parse(bodyJson) as Record<string, Canonical>;
  const atDate = entry.at ?? new Date();
  if (!(atDate instanceof Date) || Number.isNaN(atDate.getTime()))
    throw new TypeError('"at" expected a valid Date');
  const at = atDate.toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(at))
    throw new RangeError(`"at" outside years 0000-9999: ${at}`);

  let priv: { salt: Uint8Array; payloadJson: string } | null = null;
  let commitment: string | null = null;
  if (entry.privatePayload !== undefined) {
    assertJsonSafe(entry.privatePayload, 'privatePayload');
    const payloadJson = JSON.stringify(entry.privatePayload);
    // 32-byte random salt: the commitment of a low-entropy payload (a customer id) must not be
    // brute-forceable once the payload is erased.
    const salt = randomSalt();
    commitment = privateCommitment(salt, JSON.parse(payloadJson) as Canonical);
    priv = { salt, payloadJson };
  }

  return { type, at, subject, body, bodyJson, commitment, priv };
}

export function appendLedgerEntry(db: Database.Database, entry: AppendLedgerInput): LedgerEntry {
  return appendLedgerEntries(db, [entry])[0] as LedgerEntry;
}

/**
 * Appends the entries in order, all or none, reading the chain's head once: for callers that
 * write many at a time (a consents file writes one per new consent), where a savepoint and a
 * head lookup per entry cost more than the entry (bench node-store, docs/scale.md). Every entry
 * is checked before any is written.
 */
export function appendLedgerEntries(
  db: Database.Database,
  entries: readonly AppendLedgerInput[]
): LedgerEntry[] {
  const prepared = entries.map(prepareEntry);
  const { write } = statements(db);
  // Inside a caller's transaction this nests as a savepoint (all-or-nothing with the caller's
  // work). Outside, take the write lock up front (IMMEDIATE): reading the head and then writing
  // in a DEFERRED transaction could fail with SQLITE_BUSY when another process appends.
  return db.inTransaction ? write(prepared) : write.immediate(prepared);
}
