import type Database from 'better-sqlite3';
import {
  CompactMerkleTree,
  MemorySubtreeCache,
  bytesToHex,
  consistencyProof,
  type LeafHashAccessor,
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
 * Builds the tree from leaf hashes pushed in seq order, keeping the perfect subtrees of height
 * >= MERKLE_MIN_LEVEL in memory (about n/8 hashes), so roots at the requested sizes and later
 * consistency proofs cost O(log n) each. Leaves come back through `accessor` when the source can
 * re-read them; otherwise they are kept here (32 bytes each).
 */
export class TreeRecomputer {
  private readonly wanted: Set<number>;
  private readonly rootsAt = new Map<number, string>();
  private readonly cache = new MemorySubtreeCache(MERKLE_MIN_LEVEL);
  private readonly tree = new CompactMerkleTree((level, index, hash) =>
    this.cache.set(level, index, hash)
  );
  private kept: Buffer | null;
  private stopped = false;

  constructor(
    sizes: Iterable<number>,
    private readonly accessor?: LeafHashAccessor
  ) {
    this.wanted = new Set(sizes);
    this.kept = accessor ? null : Buffer.alloc(32 * 1024);
    if (this.wanted.has(0)) this.rootsAt.set(0, bytesToHex(this.tree.root()));
  }

  get size(): number {
    return this.tree.size;
  }

  /** Ends the tree here: the entry at the current size cannot be read (later leaves are ignored). */
  stop(): void {
    this.stopped = true;
  }

  /** Appends the leaf of entry `seq`; the first gap in seq ends the tree (later leaves are ignored). */
  push(seq: number, leaf: Uint8Array): void {
    if (this.stopped) return;
    if (seq !== this.tree.size) {
      this.stopped = true;
      return;
    }
    if (this.kept) {
      const at = this.tree.size * 32;
      if (at + 32 > this.kept.length) {
        const grown = Buffer.alloc(this.kept.length * 2);
        this.kept.copy(grown);
        this.kept = grown;
      }
      this.kept.set(leaf, at);
    }
    this.tree.append(leaf);
    if (this.wanted.has(this.tree.size))
      this.rootsAt.set(this.tree.size, bytesToHex(this.tree.root()));
  }

  finish(): RecomputedTree {
    const size = this.tree.size;
    const kept = this.kept;
    const get: LeafHashAccessor =
      this.accessor ??
      ((i) => {
        if (!kept || i >= size) throw new RangeError(`ledger entry ${i} is missing`);
        return new Uint8Array(kept.buffer, kept.byteOffset + i * 32, 32);
      });
    const cache = this.cache;
    return {
      size,
      root: bytesToHex(this.tree.root()),
      rootsAt: this.rootsAt,
      consistency: (oldSize, newSize) => {
        if (newSize > size)
          throw new RangeError(`size ${newSize} is beyond the ${size} readable entries`);
        return consistencyProof(oldSize, newSize, get, cache).map(bytesToHex);
      },
    };
  }
}

/**
 * Streams a node database's ledger once, recomputing every leaf hash (SHA-256(0x00 ||
 * ledger-leaf bytes)); see TreeRecomputer.
 */
export function recomputeLedgerTree(
  db: Database.Database,
  sizes: Iterable<number>,
  onProgress?: (done: number) => void
): RecomputedTree {
  const t = new TreeRecomputer(sizes, ledgerLeafAccessor(db));
  const rows = db
    .prepare('SELECT * FROM ledger ORDER BY seq')
    .iterate() as IterableIterator<LedgerRow>;
  for (const row of rows) {
    if (row.seq !== t.size) {
      rows.return?.();
      break;
    }
    t.push(row.seq, ledgerRowLeafHash(row));
    if (onProgress && t.size % 10_000 === 0) onProgress(t.size);
  }
  return t.finish();
}
