import type Database from 'better-sqlite3';
import {
  CompactMerkleTree,
  MemorySubtreeCache,
  bytesToHex,
  consistencyProof,
} from '@fedmark/protocol';
import { MERKLE_MIN_LEVEL, ledgerLeafAccessor, ledgerRowLeafHash } from '../ledger/index.ts';
import type { LedgerRow } from '../ledger/_row.ts';

/** The ledger's Merkle tree as an auditor recomputes it from the rows alone (no cached state). */
export interface RecomputedTree {
  /** Entries read before the first gap in seq (the whole ledger when there is none). */
  size: number;
  root: string;
  /** Root (hex) at every requested size that is <= size. */
  rootsAt: Map<number, string>;
  /** RFC 9162 consistency proof between two recomputed sizes (hex). Throws RangeError when impossible. */
  consistency(oldSize: number, newSize: number): string[];
}

/**
 * Streams the ledger once, recomputing every leaf hash (SHA-256(0x00 || ledger-leaf bytes)),
 * and keeps the perfect subtrees of height >= MERKLE_MIN_LEVEL in memory (about n/8 hashes),
 * so roots at the requested sizes and later consistency proofs cost O(log n) each.
 */
export function recomputeLedgerTree(db: Database.Database, sizes: Iterable<number>, onProgress?: (done: number) => void): RecomputedTree {
  const wanted = new Set(sizes);
  const rootsAt = new Map<number, string>();
  const cache = new MemorySubtreeCache(MERKLE_MIN_LEVEL);
  const tree = new CompactMerkleTree((level, index, hash) => cache.set(level, index, hash));
  if (wanted.has(0)) rootsAt.set(0, bytesToHex(tree.root()));
  const rows = db.prepare('SELECT * FROM ledger ORDER BY seq').iterate() as IterableIterator<LedgerRow>;
  for (const row of rows) {
    if (row.seq !== tree.size) {
      rows.return?.();
      break;
    }
    tree.append(ledgerRowLeafHash(row));
    if (wanted.has(tree.size)) rootsAt.set(tree.size, bytesToHex(tree.root()));
    if (onProgress && tree.size % 10_000 === 0) onProgress(tree.size);
  }
  const get = ledgerLeafAccessor(db);
  return {
    size: tree.size,
    root: bytesToHex(tree.root()),
    rootsAt,
    consistency: (oldSize, newSize) => {
      if (newSize > tree.size) throw new RangeError(`size ${newSize} is beyond the ${tree.size} readable entries`);
      return consistencyProof(oldSize, newSize, get, cache).map(bytesToHex);
    },
  };
}
