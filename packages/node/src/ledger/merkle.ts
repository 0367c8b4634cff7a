import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  CompactMerkleTree,
  bytesToHex,
  consistencyProof,
  inclusionProof,
  rootAt,
  type LeafHashAccessor,
  type LedgerEntry,
  type SubtreeCache,
} from '@fedmark/protocol';
import { rowToEntry, type LedgerRow } from './_row.ts';
import { ledgerEntryLeafBytes } from './list.ts';
import { schemaOnce } from '../store/_schema-once.ts';

/**
 * RFC 6962 Merkle tree over the ledger (docs/merkle.md): leaf i = SHA-256(0x00 || ledger-leaf
 * bytes of entry seq i). The node keeps, beside the ledger, the compact tree state (size and
 * frontier) and every perfect subtree of height >= MIN_LEVEL. Complete subtrees never change in
 * an append-only log, so they stay valid forever; a head costs O(log n) and a proof about
 * 2^MIN_LEVEL * log n leaf recomputations, read from the ledger rows themselves.
 */
export const MERKLE_MIN_LEVEL = 4;
const SYNC_BATCH = 5000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_merkle_nodes (
  level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_merkle_state (
  id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, frontier BLOB NOT NULL
);`;

export const ensureMerkleSchema = schemaOnce(SCHEMA);

const LEAF_PREFIX = new Uint8Array([0]);

/**
 * protocol's RFC 6962 leafHash, SHA-256(0x00 || bytes), computed with node:crypto: several times
 * faster than the portable implementation over a million entries; merkle.test.ts checks the two
 * agree. The one copy every node-side tree (ledger, audit, unit lists) hashes its leaves with.
 */
export function fastLeafHash(bytes: Uint8Array): Uint8Array {
  const h = createHash('sha256').update(LEAF_PREFIX).update(bytes).digest();
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

/** Leaf hash of one ledger entry, as an auditor recomputes it. */
export function ledgerEntryLeafHash(entry: LedgerEntry): Uint8Array {
  return fastLeafHash(ledgerEntryLeafBytes(entry));
}

/** Leaf hash of one stored ledger row. */
export function ledgerRowLeafHash(row: LedgerRow): Uint8Array {
  return ledgerEntryLeafHash(rowToEntry(row));
}

/** Leaf accessor reading ledger rows by seq; throws RangeError for a missing row. */
export function ledgerLeafAccessor(db: Database.Database): LeafHashAccessor {
  const stmt = db.prepare('SELECT * FROM ledger WHERE seq = ?');
  return (index) => {
    const row = stmt.get(index) as LedgerRow | undefined;
    if (!row) throw new RangeError(`ledger entry ${index} is missing`);
    return ledgerRowLeafHash(row);
  };
}

/** The persisted subtree table as a SubtreeCache (levels below MERKLE_MIN_LEVEL are not kept). */
export function ledgerSubtreeCache(db: Database.Database): SubtreeCache {
  ensureMerkleSchema(db);
  const get = db
    .prepare('SELECT hash FROM ledger_merkle_nodes WHERE level = ? AND idx = ?')
    .pluck();
  const set = db.prepare(
    'INSERT OR IGNORE INTO ledger_merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'
  );
  return {
    get: (level, index) => {
      const h = get.get(level, index) as Buffer | undefined;
      return h === undefined ? undefined : new Uint8Array(h);
    },
    set: (level, index, hash) => {
      if (level >= MERKLE_MIN_LEVEL) set.run(level, index, hash);
    },
  };
}

function loadTree(db: Database.Database, cache: SubtreeCache): CompactMerkleTree {
  const row = db.prepare('SELECT size, frontier FROM ledger_merkle_state WHERE id = 1').get() as
    | { size: number; frontier: Buffer }
    | undefined;
  const onSubtree = (level: number, index: number, hash: Uint8Array) =>
    cache.set(level, index, hash);
  if (!row) return new CompactMerkleTree(onSubtree);
  const frontier: Uint8Array[] = [];
  for (let i = 0; i < row.frontier.length; i += 32)
    frontier.push(new Uint8Array(row.frontier.subarray(i, i + 32)));
  return new CompactMerkleTree(onSubtree, { size: row.size, frontier });
}

/**
 * Brings the persisted tree up to the ledger's current size (appending the new entries' leaves)
 * and returns its size and root. One write transaction; O(new entries) hashing.
 */
export function syncLedgerMerkle(db: Database.Database): { size: number; root: Uint8Array } {
  ensureMerkleSchema(db);
  const run = db.transaction(() => {
    const cache = ledgerSubtreeCache(db);
    const tree = loadTree(db, cache);
    // Batches rather than one open iterator: the subtree listener writes on the same connection.
    const batch = db.prepare('SELECT * FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?');
    const before = tree.size;
    for (;;) {
      const rows = batch.all(tree.size, SYNC_BATCH) as LedgerRow[];
      for (const row of rows) {
        if (row.seq !== tree.size)
          throw new RangeError(
            `ledger entry ${tree.size} is missing: cannot extend the Merkle tree`
          );
        tree.append(ledgerRowLeafHash(row));
      }
      if (rows.length < SYNC_BATCH) break;
    }
    if (tree.size !== before || before === 0) {
      const s = tree.state();
      db.prepare(
        'INSERT OR REPLACE INTO ledger_merkle_state (id, size, frontier) VALUES (1, ?, ?)'
      ).run(s.size, Buffer.concat(s.frontier.map((h) => Buffer.from(h))));
    }
    return { size: tree.size, root: tree.root() };
  });
  return db.inTransaction ? run() : run.immediate();
}

function checkSize(db: Database.Database, size: number, label: string): void {
  const current = syncLedgerMerkle(db).size;
  if (!Number.isSafeInteger(size) || size < 0 || size > current) {
    throw new RangeError(`"${label}" ${size} is outside the ledger's tree of size ${current}`);
  }
}

/** RFC 6962 root of the first `size` entries (hex). */
export function ledgerRootAt(db: Database.Database, size: number): string {
  checkSize(db, size, 'size');
  return bytesToHex(rootAt(size, ledgerLeafAccessor(db), ledgerSubtreeCache(db)));
}

/** Inclusion proof of entry `index` in the tree of the first `size` entries. */
export function ledgerInclusionProof(
  db: Database.Database,
  index: number,
  size: number
): { leafHash: string; proof: string[] } {
  checkSize(db, size, 'size');
  const get = ledgerLeafAccessor(db);
  const proof = inclusionProof(index, size, get, ledgerSubtreeCache(db));
  return { leafHash: bytesToHex(get(index)), proof: proof.map(bytesToHex) };
}

/** Consistency proof between the trees of the first `oldSize` and `newSize` entries. */
export function ledgerConsistencyProof(
  db: Database.Database,
  oldSize: number,
  newSize: number
): string[] {
  checkSize(db, newSize, 'newSize');
  return consistencyProof(oldSize, newSize, ledgerLeafAccessor(db), ledgerSubtreeCache(db)).map(
    bytesToHex
  );
}
