import { EMPTY_ROOT, assertHash, assertSize, isPowerOfTwo, nodeHash, splitPoint } from './hash.ts';

/**
 * Returns the leaf hash (already SHA-256(0x00 || entry)) at a 0-based index. A store serves it
 * from disk; it MUST return the same 32 bytes for an index every time (append-only log).
 */
export type LeafHashAccessor = (index: number) => Uint8Array;

/**
 * Store of perfect-subtree hashes. The node at (level, index) is the root of leaves
 * [index * 2^level, (index + 1) * 2^level). In an append-only log such a subtree never changes
 * once complete, so any cached value stays valid forever; only the right edge of the tree is
 * recomputed. Implementations MUST return either undefined or the exact hash previously set.
 */
export interface SubtreeCache {
  get(level: number, index: number): Uint8Array | undefined;
  set(level: number, index: number, hash: Uint8Array): void;
}

/**
 * In-memory SubtreeCache holding one array per level. Levels below `minLevel` are not kept:
 * with minLevel = L the cache holds about n / 2^L hashes and each cache miss costs at most 2^L
 * leaf reads, so a 1M-entry ledger with L = 4 keeps ~65k hashes (~2 MB) and serves every proof
 * with O(16 log n) leaf reads.
 */
export class MemorySubtreeCache implements SubtreeCache {
  readonly minLevel: number;
  private readonly levels: Uint8Array[][] = [];

  constructor(minLevel = 1) {
    assertSize(minLevel, 'minLevel', 1);
    this.minLevel = minLevel;
  }

  get(level: number, index: number): Uint8Array | undefined {
    return this.levels[level]?.[index];
  }

  set(level: number, index: number, hash: Uint8Array): void {
    if (level < this.minLevel) return;
    let row = this.levels[level];
    if (row === undefined) {
      row = [];
      while (this.levels.length < level) this.levels.push([]);
      this.levels[level] = row;
    }
    row[index] = hash;
  }

  /** Number of hashes held, for sizing and tests. */
  get count(): number {
    return this.levels.reduce((s, row) => s + row.filter((h) => h !== undefined).length, 0);
  }
}

/** Reads leaf hashes through an accessor and checks each one, so a faulty store fails loudly. */
export function readLeaf(get: LeafHashAccessor, index: number): Uint8Array {
  const h = get(index);
  assertHash(h, `leafHash[${index}]`);
  return h;
}

/**
 * MTH(D[start:start+size]) per RFC 6962 §2.1, for a range that the RFC recursion can reach:
 * either a perfect aligned subtree or one that ends at the tree's right edge. Perfect subtrees
 * are looked up in / stored to `cache` when one is given.
 *
 * Cost without a cache: `size` leaf reads and size - 1 hashes. With a warm cache holding every
 * level >= L: O(2^L * log size).
 */
export function rangeRoot(
  start: number,
  size: number,
  get: LeafHashAccessor,
  cache?: SubtreeCache
): Uint8Array {
  if (size === 0) return EMPTY_ROOT;
  if (size === 1) return readLeaf(get, start);
  const perfect = isPowerOfTwo(size) && start % size === 0;
  if (perfect && cache !== undefined) {
    const level = Math.log2(size);
    const hit = cache.get(level, start / size);
    if (hit !== undefined) {
      assertHash(hit, `cache[${level}][${start / size}]`);
      return hit;
    }
    const k = size / 2;
    const h = nodeHash(rangeRoot(start, k, get, cache), rangeRoot(start + k, k, get, cache));
    cache.set(level, start / size, h);
    return h;
  }
  const k = splitPoint(size);
  return nodeHash(rangeRoot(start, k, get, cache), rangeRoot(start + k, size - k, get, cache));
}

/** The RFC 6962 root of the first `size` leaves served by `get`. */
export function rootAt(size: number, get: LeafHashAccessor, cache?: SubtreeCache): Uint8Array {
  assertSize(size, 'size');
  return rangeRoot(0, size, get, cache);
}

/** RFC 6962 §2.1 root of a list of leaf hashes (size 0 gives SHA-256("")). */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  return rangeRoot(0, leafHashes.length, (i) => leafHashes[i] as Uint8Array);
}
