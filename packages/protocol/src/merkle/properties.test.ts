import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { equalBytes } from '../hashing.ts';
import { EMPTY_ROOT, leafHash, nodeHash, splitPoint } from './hash.ts';
import { CompactMerkleTree } from './compact.ts';
import { MerkleTreeBuilder } from './builder.ts';
import { consistencyProof, inclusionProof } from './proofs.ts';
import { MemorySubtreeCache, rootAt, rootFromLeafHashes } from './subtree.ts';
import { verifyConsistency, verifyInclusion } from './verify.ts';

// Independent reference: the RFC 6962 §2.1 definitions (MTH, PATH, PROOF/SUBPROOF) written as
// plain recursion over arrays, so the iterative, cached production code is checked against
// the text of the spec rather than against itself.
function mth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return EMPTY_ROOT;
  if (d.length === 1) return d[0] as Uint8Array;
  const k = splitPoint(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const k = splitPoint(d.length);
  return m < k
    ? [...path(m, d.slice(0, k)), mth(d.slice(k))]
    : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitPoint(d.length);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

/** Distinct leaf hashes: the index is part of every leaf's input. */
function makeLeaves(n: number, salt: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(leafHash(new TextEncoder().encode(`entry-${salt}-${i}`)));
  return out;
}

const toHex = (h: Uint8Array): string => Buffer.from(h).toString('hex');

function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const c = h.slice();
  c[bit >> 3] = (c[bit >> 3] as number) ^ (1 << (bit & 7));
  return c;
}

const sizeArb = fc.integer({ min: 1, max: 300 });
const saltArb = fc.nat();

describe('inclusion proofs (property)', () => {
  it('every leaf of a random tree verifies, and any change to an element, the index or the leaf fails', () => {
    fc.assert(
      fc.property(sizeArb, saltArb, fc.nat(255), (n, salt, bit) => {
        const leaves = makeLeaves(n, salt);
        const log = new MerkleTreeBuilder();
        for (const l of leaves) log.append(l);
        const root = log.root();
        expect(equalBytes(root, mth(leaves))).toBe(true);
        // Spot-check the RFC recursion on a few leaves (it is O(n log n) per proof).
        for (const i of new Set([0, n - 1, bit % n])) {
          expect(log.inclusionProof(i).map(toHex)).toEqual(path(i, leaves).map(toHex));
        }
        const failures: string[] = [];
        const check = (label: string, got: boolean, want: boolean): void => {
          if (got !== want) failures.push(label);
        };
        for (let i = 0; i < n; i++) {
          const proof = log.inclusionProof(i);
          const leaf = leaves[i] as Uint8Array;
          check(`valid ${i}`, verifyInclusion(leaf, i, n, proof, root), true);
          for (let e = 0; e < proof.length; e++) {
            const bad = proof.slice();
            bad[e] = flipBit(bad[e] as Uint8Array, bit);
            check(`element ${e} of ${i}`, verifyInclusion(leaf, i, n, bad, root), false);
          }
          check(`index+1 ${i}`, verifyInclusion(leaf, (i + 1) % n, n, proof, root), n === 1);
          if (i > 0) check(`index-1 ${i}`, verifyInclusion(leaf, i - 1, n, proof, root), false);
          check(`leaf ${i}`, verifyInclusion(flipBit(leaf, bit), i, n, proof, root), false);
          check(`root ${i}`, verifyInclusion(leaf, i, n, proof, flipBit(root, bit)), false);
          check(`longer ${i}`, verifyInclusion(leaf, i, n, [...proof, root], root), false);
          if (proof.length > 0)
            check(`shorter ${i}`, verifyInclusion(leaf, i, n, proof.slice(1), root), false);
        }
        expect(failures).toEqual([]);
      }),
      { numRuns: 12 }
    );
  });

  it('gives the same proofs with no cache, a sparse cache and the builder', () => {
    fc.assert(
      fc.property(sizeArb, fc.nat(299), saltArb, (n, rawIndex, salt) => {
        const leaves = makeLeaves(n, salt);
        const get = (i: number): Uint8Array => leaves[i] as Uint8Array;
        const log = new MerkleTreeBuilder();
        for (const l of leaves) log.append(l);
        const index = rawIndex % n;
        const sparse = new MemorySubtreeCache(3);
        const want = log.inclusionProof(index);
        for (const got of [
          inclusionProof(index, n, get),
          inclusionProof(index, n, get, sparse),
          inclusionProof(index, n, get, sparse),
        ]) {
          expect(got.length).toBe(want.length);
          got.forEach((h, j) => {
            expect(equalBytes(h, want[j] as Uint8Array)).toBe(true);
          });
        }
      }),
      { numRuns: 40 }
    );
  });
});

describe('consistency proofs (property)', () => {
  it('every m <= n verifies, matches the RFC recursion, and any mutation fails', () => {
    fc.assert(
      fc.property(sizeArb, sizeArb, saltArb, fc.nat(255), (a, b, salt, bit) => {
        const [m, n] = a <= b ? [a, b] : [b, a];
        const leaves = makeLeaves(n, salt);
        const log = new MerkleTreeBuilder();
        for (const l of leaves) log.append(l);
        const oldRoot = log.root(m);
        const newRoot = log.root(n);
        expect(equalBytes(oldRoot, mth(leaves.slice(0, m)))).toBe(true);
        const proof = log.consistencyProof(m, n);
        const ref = m === n ? [] : subproof(m, leaves, true);
        expect(proof.length).toBe(ref.length);
        proof.forEach((h, j) => {
          expect(equalBytes(h, ref[j] as Uint8Array)).toBe(true);
        });
        const uncached = consistencyProof(m, n, (i) => leaves[i] as Uint8Array);
        uncached.forEach((h, j) => {
          expect(equalBytes(h, ref[j] as Uint8Array)).toBe(true);
        });

        expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
        for (let e = 0; e < proof.length; e++) {
          const bad = proof.slice();
          bad[e] = flipBit(bad[e] as Uint8Array, bit);
          expect(verifyConsistency(m, n, oldRoot, newRoot, bad)).toBe(false);
        }
        expect(verifyConsistency(m, n, flipBit(oldRoot, bit), newRoot, proof)).toBe(false);
        expect(verifyConsistency(m, n, oldRoot, flipBit(newRoot, bit), proof)).toBe(false);
        expect(verifyConsistency(m, n, oldRoot, newRoot, [...proof, newRoot])).toBe(false);
        if (proof.length > 0)
          expect(verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
        if (m < n) {
          expect(verifyConsistency(m, n, newRoot, oldRoot, proof)).toBe(false);
          expect(verifyConsistency(n, m, oldRoot, newRoot, proof)).toBe(false);
          // A rewritten history: same size, one changed leaf before m.
          const forged = leaves.slice();
          forged[0] = flipBit(forged[0] as Uint8Array, bit);
          expect(verifyConsistency(m, n, oldRoot, mth(forged), subproof(m, forged, true))).toBe(
            false
          );
        }
      }),
      { numRuns: 80 }
    );
  });
});

describe('compact tree (property)', () => {
  it('has the recursive root after every append, and restores from state and from a store', () => {
    fc.assert(
      fc.property(sizeArb, saltArb, (n, salt) => {
        const leaves = makeLeaves(n, salt);
        const get = (i: number): Uint8Array => leaves[i] as Uint8Array;
        const tree = new CompactMerkleTree();
        const cache = new MemorySubtreeCache(1);
        let mismatches = 0;
        for (let i = 0; i < n; i++) {
          expect(tree.append(leaves[i] as Uint8Array)).toBe(i);
          // rootAt is the §2.1 recursion (split at the largest power of two < n), memoised on
          // perfect subtrees; the compact tree folds its frontier instead.
          if (!equalBytes(tree.root(), rootAt(i + 1, get, cache))) mismatches++;
        }
        expect(mismatches).toBe(0);
        expect(equalBytes(tree.root(), rootFromLeafHashes(leaves))).toBe(true);
        const restored = new CompactMerkleTree(undefined, tree.state());
        const rebuilt = CompactMerkleTree.fromAccessor(n, get);
        const extra = leafHash(new Uint8Array([salt & 255]));
        for (const t of [tree, restored, rebuilt]) t.append(extra);
        const want = mth([...leaves, extra]);
        for (const t of [tree, restored, rebuilt]) expect(equalBytes(t.root(), want)).toBe(true);
      }),
      { numRuns: 20 }
    );
  });
});
