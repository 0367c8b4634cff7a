import type Database from 'better-sqlite3';
import { GENESIS_HASH, LEDGER_ENTRY_TYPES, type Canonical } from '@fedmark/protocol';
import { entryHash, privateCommitment, type LedgerRow } from './_row.ts';

export type VerifyLedgerResult =
  | { ok: true; size: number; head: string }
  | { ok: false; size: number; firstBadSeq: number; reason: string };

export interface VerifyLedgerOptions {
  onProgress?: (done: number, total: number) => void;
  /**
   * Hashes known from outside this database (signed checkpoints, an auditor's earlier export).
   * A chain that was truncated and re-appended is internally consistent, so only such an anchor
   * can reveal it: every listed (seq, hash) must still be present and equal.
   */
  knownHashes?: Iterable<{ seq: number; hash: string }>;
}

interface Row extends LedgerRow {
  salt: Uint8Array | null;
  payload: string | null;
}

const HEX64 = /^[0-9a-f]{64}$/;
const TYPES: ReadonlySet<string> = new Set(LEDGER_ENTRY_TYPES);
const AT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PROGRESS_EVERY = 10_000;

/** Returns why `row` is malformed on its own (before any hashing), or null. */
function shapeProblem(row: Row): string | null {
  if (!TYPES.has(row.type)) return `unknown entry type "${row.type}"`;
  if (typeof row.at !== 'string' || !AT_RE.test(row.at)) return 'timestamp is not ISO 8601 UTC with milliseconds';
  if (row.subject !== null && !HEX64.test(row.subject)) return 'subject is not a 64-hex pseudonym';
  if (row.commitment !== null && !HEX64.test(row.commitment)) return 'commitment is not 64 hex';
  if (!HEX64.test(row.prev_hash) || !HEX64.test(row.hash)) return 'hash fields are not 64 hex';
  return null;
}

function parseBody(text: string): Record<string, Canonical> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, Canonical>) : null;
  } catch {
    return null;
  }
}

/**
 * Streams the chain once (constant memory) and recomputes every hash, link and private-payload
 * commitment. The first bad entry is named:
 * - a row whose own hash does not recompute was edited (or moved: seq is inside the hash);
 * - a row whose hash recomputes but whose prevHash differs from its predecessor's hash means the
 *   predecessor was edited and re-hashed, so the predecessor is named;
 * - a gap in seq names the missing seq.
 */
export function verifyLedger(db: Database.Database, opts: VerifyLedgerOptions = {}): VerifyLedgerResult {
  const read = db.transaction(() => run(db, opts));
  // One read transaction gives a consistent snapshot while appends continue elsewhere (WAL).
  return db.inTransaction ? run(db, opts) : read.deferred();
}

function run(db: Database.Database, opts: VerifyLedgerOptions): VerifyLedgerResult {
  const total = (db.prepare('SELECT count(*) FROM ledger').pluck().get() as number) ?? 0;
  const known = new Map<number, string>();
  for (const k of opts.knownHashes ?? []) known.set(k.seq, k.hash);
  const rows = db
    .prepare(
      `SELECT l.seq, l.type, l.at, l.subject, l.body, l.commitment, l.prev_hash, l.hash, p.salt, p.payload
       FROM ledger l LEFT JOIN ledger_private p ON p.seq = l.seq ORDER BY l.seq`
    )
    .iterate() as IterableIterator<Row>;
  let expected = 0;
  let prevHash = GENESIS_HASH;
  const bad = (firstBadSeq: number, reason: string): VerifyLedgerResult => ({ ok: false, size: total, firstBadSeq, reason });
  for (const row of rows) {
    if (row.seq !== expected) {
      rows.return?.();
      return bad(expected, `entry ${expected} is missing (next present entry is ${row.seq})`);
    }
    const problem = shapeProblem(row);
    const body = parseBody(row.body);
    if (problem !== null || body === null) {
      rows.return?.();
      return bad(row.seq, problem ?? 'body is not a JSON object');
    }
    const recomputed = entryHash({
      seq: row.seq,
      type: row.type,
      at: row.at,
      subject: row.subject,
      body,
      commitment: row.commitment,
      prevHash: row.prev_hash,
    });
    if (recomputed !== row.hash) {
      rows.return?.();
      return bad(row.seq, `entry ${row.seq} was altered: its content no longer matches its hash`);
    }
    if (row.prev_hash !== prevHash) {
      rows.return?.();
      const culprit = Math.max(0, row.seq - 1);
      return bad(culprit, `entry ${culprit} was altered or replaced: entry ${row.seq} links to a different hash`);
    }
    if (row.salt !== null && row.payload !== null) {
      const payload = (() => {
        try {
          return JSON.parse(row.payload) as Canonical;
        } catch {
          return undefined;
        }
      })();
      if (row.commitment === null || payload === undefined || privateCommitment(row.salt, payload) !== row.commitment) {
        rows.return?.();
        return bad(row.seq, `entry ${row.seq}: private payload does not match its commitment`);
      }
    }
    const anchor = known.get(row.seq);
    if (anchor !== undefined && anchor !== row.hash) {
      rows.return?.();
      return bad(row.seq, `entry ${row.seq} differs from the externally known hash (history was rewritten from here or earlier)`);
    }
    prevHash = row.hash;
    expected++;
    if (opts.onProgress && expected % PROGRESS_EVERY === 0) opts.onProgress(expected, total);
  }
  for (const seq of [...known.keys()].sort((a, b) => a - b)) {
    if (seq >= expected) {
      return bad(expected, `ledger truncated: known entry ${seq} is gone (only ${expected} entries remain)`);
    }
  }
  opts.onProgress?.(expected, total);
  return { ok: true, size: expected, head: prevHash };
}
