import { equalBytes } from '../hashing.ts';
import { isHash, isPowerOfTwo, nodeHash } from './hash.ts';

// Both verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 literally, with fn/sn as the RFC names
// them. Halving uses Math.floor(x / 2) instead of >>> 1 so sizes above 2^32 stay exact.
// They return false for anything malformed (non-integer or out-of-range sizes, elements that
// are not 32-byte hashes, a proof that is too long or too short) and never throw: a caller
// treats every false as "not proven" (STYLE §5).

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isHashList(value: unknown): value is readonly Uint8Array[] {
  return Array.isArray(value) && value.every(isHash);
}

const half = (x: number): number => Math.floor(x / 2);

/**
 * RFC 9162 §2.1.3.2: true iff `proof` shows that `leafHash` is the leaf at 0-based `index` in
 * the tree of `size` leaves whose root is `root`.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array
): boolean {
  try {
    if (!isSize(index) || !isSize(size) || index >= size) return false;
    if (!isHash(leafHash) || !isHash(root) || !isHashList(proof)) return false;
    let fn = index;
    let sn = size - 1;
    let r = leafHash;
    for (const p of proof) {
      // More proof elements than levels above the leaf: the proof is for another tree shape.
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r);
        // fn === sn on an even fn means this leaf's ancestors are the last, unpaired nodes of
        // their levels: climb until the next level where they have a left sibling.
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        r = nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && equalBytes(r, root);
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.4.2: true iff `proof` shows that the tree of `oldSize` leaves with root
 * `oldRoot` is a prefix of the tree of `newSize` leaves with root `newRoot`.
 *
 * Equal sizes need an empty proof and identical roots (compared as bytes, whatever their
 * length: no hashing is involved). `oldSize` 0 is refused, as the RFC 6962 reference suite
 * does: a proof from the empty tree proves nothing.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[]
): boolean {
  try {
    if (!isSize(oldSize) || !isSize(newSize) || oldSize < 1 || oldSize > newSize) return false;
    if (!Array.isArray(proof)) return false;
    if (!(oldRoot instanceof Uint8Array) || !(newRoot instanceof Uint8Array)) return false;
    if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
    if (!isHash(oldRoot) || !isHash(newRoot) || !isHashList(proof) || proof.length === 0)
      return false;
    // Step 2: when the old tree is a perfect subtree its root is the first node of the path
    // and the prover leaves it out.
    const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
    let fn = oldSize - 1;
    let sn = newSize - 1;
    while (fn % 2 === 1) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = path[0] as Uint8Array;
    let sr = fr;
    for (let i = 1; i < path.length; i++) {
      const c = path[i] as Uint8Array;
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
  } catch {
    return false;
  }
}
