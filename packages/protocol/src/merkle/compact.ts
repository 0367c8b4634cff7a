import { EMPTY_ROOT, assertHash, assertSize, nodeHash } from './hash.ts';
import { rangeRoot, type LeafHashAccessor, type SubtreeCache } from './subtree.ts';

/** Called for every perfect subtree (level >= 1) completed by an append, e.g. to persist it. */
export type SubtreeListener = (level: number, index: number, hash: Uint8Array) => void;

/**
 * Saved form of a compact tree: its size and the roots of the perfect subtrees that make up
 * the binary decomposition of that size, largest first (one per set bit of `size`).
 */
export interface CompactTreeState {
  size: number;
  frontier: Uint8Array[];
}

function bitCount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

/**
 * Append-only RFC 6962 tree that keeps only its frontier: O(log n) hashes of memory, O(1)
 * amortised hashing per append, O(log n) hashing per root. The frontier is the list of perfect
 * subtree roots for the set bits of `size` (largest first); the RFC 6962 root folds them from
 * the right, which equals the §2.1 recursive definition because the split point k is always the
 * largest remaining power of two.
 */
export class CompactMerkleTree {
  private readonly frontier: Uint8Array[];
  private count: number;
  private readonly onSubtree: SubtreeListener | undefined;

  constructor(onSubtree?: SubtreeListener, state?: CompactTreeState) {
    this.onSubtree = onSubtree;
    if (state === undefined) {
      this.frontier = [];
      this.count = 0;
      return;
    }
    assertSize(state.size, 'state.size');
    if (!Array.isArray(state.frontier) || state.frontier.length !== bitCount(state.size)) {
      throw new RangeError(
        `"state.frontier" expected ${bitCount(state.size)} hashes for size ${state.size}`
      );
    }
    state.frontier.forEach((h, i) => {
      assertHash(h, `state.frontier[${i}]`);
    });
    this.frontier = state.frontier.slice();
    this.count = state.size;
  }

  /** Rebuilds the frontier of the first `size` leaves from a store (O(size) without a cache). */
  static fromAccessor(
    size: number,
    get: LeafHashAccessor,
    cache?: SubtreeCache,
    onSubtree?: SubtreeListener
  ): CompactMerkleTree {
    assertSize(size, 'size');
    const frontier: Uint8Array[] = [];
    let start = 0;
    for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
      if (Math.floor(size / bit) % 2 === 1) {
        frontier.push(rangeRoot(start, bit, get, cache));
        start += bit;
      }
    }
    return new CompactMerkleTree(onSubtree, { size, frontier });
  }

  get size(): number {
    return this.count;
  }

  /** Appends one leaf hash (SHA-256(0x00 || entry)); returns its 0-based index. */
  append(leafHash: Uint8Array): number {
    assertHash(leafHash, 'leafHash');
    const index = this.count;
    let node = leafHash;
    let level = 0;
    // Each trailing 1 bit of the old size is a perfect subtree of the same height as `node`
    // immediately to its left: merge them, exactly as binary addition carries.
    for (let s = index; s % 2 === 1; s = Math.floor(s / 2)) {
      node = nodeHash(this.frontier.pop() as Uint8Array, node);
      level += 1;
      this.onSubtree?.(level, Math.floor(index / 2 ** level), node);
    }
    this.frontier.push(node);
    this.count = index + 1;
    return index;
  }

  /** Current RFC 6962 root (SHA-256("") when empty). */
  root(): Uint8Array {
    if (this.frontier.length === 0) return EMPTY_ROOT;
    let r = this.frontier[this.frontier.length - 1] as Uint8Array;
    for (let i = this.frontier.length - 2; i >= 0; i--)
      r = nodeHash(this.frontier[i] as Uint8Array, r);
    return r;
  }

  /** Snapshot to persist beside the log, so a restart need not re-read every leaf. */
  state(): CompactTreeState {
    return { size: this.count, frontier: this.frontier.slice() };
  }
}
