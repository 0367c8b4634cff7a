import type Database from 'better-sqlite3';
import { CompactMerkleTree, GENESIS_HASH, bytesToHex, type LedgerEntry } from '@fedmark/protocol';
import { chainRowBreak, parseLedgerBody, type ChainRow } from './_chain-row.ts';
import { ledgerEntryLeafHash } from './merkle.ts';
import { locateChange, type RootAnchor } from './locate.ts';

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
  /**
   * Signed tree heads of this ledger (its stored checkpoints): the rows must still reproduce
   * every root, which reveals a cut or a rewritten suffix whose chain re-hashes cleanly. The
   * first altered entry is named, or the lowest it can be (ledger/locate.ts). Costs one leaf
   * hash per entry up to the largest checkpoint.
   */
  checkpoints?: readonly RootAnchor[];
}

/** A stored row with its private payload columns (null where there is none or it was erased). */
interface Row extends ChainRow {
  salt: Uint8Array | null;
  payload: string | null;
}

const PROGRESS_EVERY = 10_000;

/**
 * Streams the chain once (constant memory) and recomputes every hash, link and private-payload
 * commitment. The first bad entry is named:
 * - a row whose own hash does not recompute was edited (or moved: seq is inside the hash);
 * - a row whose hash recomputes but whose prevHash differs from its predecessor's hash means the
 *   predecessor was edited and re-hashed, so the predecessor is named;
 * - a gap in seq names the missing seq.
 */
export function verifyLedger(
  db: Database.Database,
  opts: VerifyLedgerOptions = {}
): VerifyLedgerResult {
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
      `SELECT l.seq, l.type, l.at, l.subject, l.body, l.commitment, l.prev_hash AS prevHash, l.hash, p.salt, p.payload
       FROM ledger l LEFT JOIN ledger_private p ON p.seq = l.seq ORDER BY l.seq`
    )
    .iterate() as IterableIterator<Row>;
  let expected = 0;
  let prevHash = GENESIS_HASH;
  const anchors = opts.checkpoints ?? [];
  const wanted = new Set(anchors.map((a) => a.treeSize));
  const treeUpTo = Math.max(0, ...wanted);
  const tree = new CompactMerkleTree();
  const roots = new Map<number, string>();
  if (wanted.has(0)) roots.set(0, bytesToHex(tree.root()));
  const bad = (firstBadSeq: number, reason: string): VerifyLedgerResult => ({
    ok: false,
    size: total,
    firstBadSeq,
    reason,
  });
  for (const row of rows) {
    const priv =
      row.salt !== null && row.payload !== null ? { salt: row.salt, payload: row.payload } : null;
    const broken = chainRowBreak(row, priv, expected, prevHash);
    if (broken) {
      rows.return?.();
      return bad(broken.firstBadSeq, broken.reason);
    }
    const anchor = known.get(row.seq);
    if (anchor !== undefined && anchor !== row.hash) {
      rows.return?.();
      return bad(
        row.seq,
        `entry ${row.seq} differs from the externally known hash (history was rewritten from here or earlier)`
      );
    }
    if (expected < treeUpTo) {
      tree.append(leafHash(row));
      if (wanted.has(tree.size)) roots.set(tree.size, bytesToHex(tree.root()));
    }
    prevHash = row.hash;
    expected++;
    if (opts.onProgress && expected % PROGRESS_EVERY === 0) opts.onProgress(expected, total);
  }
  for (const seq of [...known.keys()].sort((a, b) => a - b)) {
    if (seq >= expected) {
      return bad(
        expected,
        `ledger truncated: known entry ${seq} is gone (only ${expected} entries remain)`
      );
    }
  }
  const changed = locateChange('stored', anchors, [], expected, (n) => roots.get(n));
  if (changed) return bad(changed.firstBadSeq, changed.detail);
  opts.onProgress?.(expected, total);
  return { ok: true, size: expected, head: prevHash };
}

/** RFC 6962 leaf hash of a row that passed the chain check (its body parses). */
function leafHash(row: Row): Uint8Array {
  const entry: LedgerEntry = {
    seq: row.seq,
    type: row.type as LedgerEntry['type'],
    at: row.at,
    subject: row.subject,
    body: parseLedgerBody(row.body) ?? {},
    commitment: row.commitment,
    prevHash: row.prevHash,
    hash: row.hash,
  };
  return ledgerEntryLeafHash(entry);
}
