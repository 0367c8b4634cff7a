import { assertHash, assertSize } from './hash.ts';
import { CompactMerkleTree } from './compact.ts';
import { consistencyProof, inclusionProof } from './proofs.ts';
import { MemorySubtreeCache, rangeRoot, type LeafHashAccessor } from './subtree.ts';

/**
 * In-memory append-only Merkle log: keeps every leaf hash plus every perfect subtree hash
 * (filled as leaves are appended), so roots at any past size and all proofs cost O(log n)
 * hashing. Memory is about 2n hashes (64 bytes per leaf); a store that cannot hold that serves
 * leaves through a LeafHashAccessor and uses the free functions with its own SubtreeCache.
 */
export class MerkleTreeBuilder {
  private readonly leaves: Uint8Array[] = [];
  private readonly cache = new MemorySubtreeCache(1);
  private readonly compact = new CompactMerkleTree((level, index, hash) =>
    this.cache.set(level, index, hash)
  );
  private readonly get: LeafHashAccessor = (i) => this.leaves[i] as Uint8Array;

  get size(): number {
    return this.leaves.length;
  }

  /** Appends a leaf hash; returns its 0-based index. */
  append(leafHash: Uint8Array): number {
    assertHash(leafHash, 'leafHash');
    this.compact.append(leafHash);
    return this.leaves.push(leafHash) - 1;
  }

  leafHash(index: number): Uint8Array {
    assertSize(index, 'index');
    if (index >= this.leaves.length) {
      throw new RangeError(`"index" ${index} is outside a log of size ${this.leaves.length}`);
    }
    return this.leaves[index] as Uint8Array;
  }

  /** Root of the first `size` leaves (default: all). */
  root(size = this.size): Uint8Array {
    this.checkSize(size, 'size');
    return size === this.size ? this.compact.root() : rangeRoot(0, size, this.get, this.cache);
  }

  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.checkSize(size, 'size');
    return inclusionProof(index, size, this.get, this.cache);
  }

  consistencyProof(oldSize: number, newSize = this.size): Uint8Array[] {
    this.checkSize(newSize, 'newSize');
    return consistencyProof(oldSize, newSize, this.get, this.cache);
  }

  private checkSize(size: number, label: string): void {
    assertSize(size, label);
    if (size > this.leaves.length) {
      throw new RangeError(`"${label}" ${size} is beyond the log size ${this.leaves.length}`);
    }
  }
}
