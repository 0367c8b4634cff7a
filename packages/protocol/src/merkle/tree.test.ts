import { describe, expect, it } from 'vitest';
import { equalBytes } from '../hashing.ts';
import { leafHash } from './hash.ts';
import { CompactMerkleTree } from './compact.ts';
import { MerkleTreeBuilder } from './builder.ts';
import { consistencyProof, inclusionProof } from './proofs.ts';
import { MemorySubtreeCache, rootAt } from './subtree.ts';
import { verifyConsistency, verifyInclusion } from './verify.ts';

/** Any 32 bytes are a valid leaf hash; deriving them from the index keeps big trees cheap. */
function fakeLeaf(i: number): Uint8Array {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, i);
  h[31] = 0xaa;
  return h;
}

describe('proofs from a store through a subtree cache', () => {
  // 2^16 + 1234 leaves: big enough that an uncached proof would read tens of thousands.
  const n = 65_536 + 1234;
  const cache = new MemorySubtreeCache(4);
  const tree = new CompactMerkleTree((level, index, hash) => cache.set(level, index, hash));
  for (let i = 0; i < n; i++) tree.append(fakeLeaf(i));
  let reads = 0;
  const get = (i: number): Uint8Array => {
    reads++;
    return fakeLeaf(i);
  };

  it('keeps only levels >= minLevel: about n / 2^minLevel hashes', () => {
    // Perfect subtrees of height >= 4 among n leaves: sum over L >= 4 of floor(n / 2^L).
    let want = 0;
    for (let l = 4; 2 ** l <= n; l++) want += Math.floor(n / 2 ** l);
    expect(cache.count).toBe(want);
    expect(cache.get(3, 0)).toBeUndefined();
  });

  it('serves inclusion and consistency proofs with O(2^minLevel * log n) leaf reads', () => {
    const root = tree.root();
    for (const index of [0, 1, 40_000, n - 1]) {
      reads = 0;
      const proof = inclusionProof(index, n, get, cache);
      // One partial right-edge subtree of <= log n perfect parts, each < 2^4 leaves below the cache.
      expect(reads).toBeLessThanOrEqual(16 * 18);
      expect(verifyInclusion(fakeLeaf(index), index, n, proof, root)).toBe(true);
    }
    reads = 0;
    const oldRoot = rootAt(50_001, get, cache);
    const proof = consistencyProof(50_001, n, get, cache);
    expect(reads).toBeLessThanOrEqual(3 * 16 * 18);
    expect(verifyConsistency(50_001, n, oldRoot, root, proof)).toBe(true);
  });

  it('rebuilds the same frontier from the store', () => {
    reads = 0;
    const rebuilt = CompactMerkleTree.fromAccessor(n, get, cache);
    expect(reads).toBeLessThanOrEqual(16 * 18);
    expect(equalBytes(rebuilt.root(), tree.root())).toBe(true);
    expect(rebuilt.state().frontier).toHaveLength(tree.state().frontier.length);
  });
});

describe('argument checks', () => {
  const log = new MerkleTreeBuilder();
  for (let i = 0; i < 5; i++) log.append(leafHash(new Uint8Array([i])));

  it('refuses out-of-range sizes and indices with labelled RangeErrors', () => {
    expect(() => log.inclusionProof(5)).toThrow('"index" 5 is outside a tree of size 5');
    expect(() => log.inclusionProof(0, 6)).toThrow('"size" 6 is beyond the log size 5');
    expect(() => log.consistencyProof(0, 5)).toThrow(
      '"oldSize" expected a safe integer >= 1, got 0'
    );
    expect(() => log.consistencyProof(4, 3)).toThrow('"oldSize" 4 is larger than "newSize" 3');
    expect(() => log.leafHash(-1)).toThrow(RangeError);
    expect(() => log.root(1.5)).toThrow('"size" expected a safe integer >= 0, got 1.5');
    expect(() => new MemorySubtreeCache(0)).toThrow(RangeError);
  });

  it('refuses leaves that are not 32-byte hashes, from callers and from stores', () => {
    expect(() => log.append(new Uint8Array(31))).toThrow(
      '"leafHash" expected Uint8Array of length 32, got length=31'
    );
    expect(() => new CompactMerkleTree().append('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => rootAt(3, (i) => (i === 2 ? new Uint8Array(3) : fakeLeaf(i)))).toThrow(
      '"leafHash[2]" expected Uint8Array of length 32, got length=3'
    );
  });

  it('refuses a saved state whose frontier does not match its size', () => {
    const state = new CompactMerkleTree(undefined, { size: 0, frontier: [] }).state();
    expect(state).toEqual({ size: 0, frontier: [] });
    expect(() => new CompactMerkleTree(undefined, { size: 3, frontier: [fakeLeaf(0)] })).toThrow(
      '"state.frontier" expected 2 hashes for size 3'
    );
  });

  it('verifiers return false, never throw, on hostile input', () => {
    const root = log.root();
    const leaf = log.leafHash(2);
    const proof = log.inclusionProof(2);
    const hostile: unknown[] = [undefined, null, -1, 1.5, Number.NaN, 2 ** 60, '2', [], {}];
    for (const h of hostile) {
      expect(verifyInclusion(leaf, h as number, 5, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, 2, h as number, proof, root)).toBe(false);
      expect(verifyInclusion(h as Uint8Array, 2, 5, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, 2, 5, h as Uint8Array[], root)).toBe(false);
      expect(verifyInclusion(leaf, 2, 5, [h as Uint8Array], root)).toBe(false);
      expect(verifyConsistency(h as number, 5, root, root, [])).toBe(false);
      expect(verifyConsistency(3, 5, h as Uint8Array, root, log.consistencyProof(3))).toBe(false);
      expect(verifyConsistency(3, 5, log.root(3), root, h as Uint8Array[])).toBe(false);
    }
    expect(verifyInclusion(leaf, 2, 5, proof, root)).toBe(true);
  });
});

describe('what an inclusion proof does not bind', () => {
  it('accepts the same path for every tree size with the same shape, so the size must come from a signed checkpoint', () => {
    const log = new MerkleTreeBuilder();
    for (let i = 0; i < 5; i++) log.append(leafHash(new Uint8Array([i])));
    const proof = log.inclusionProof(0);
    const accepted = [4, 5, 6, 7, 8, 9].filter((size) =>
      verifyInclusion(log.leafHash(0), 0, size, proof, log.root())
    );
    expect(accepted).toEqual([5, 6, 7, 8]);
  });
});
