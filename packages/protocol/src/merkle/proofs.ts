import { assertSize, splitPoint } from './hash.ts';
import { rangeRoot, type LeafHashAccessor, type SubtreeCache } from './subtree.ts';

/**
 * RFC 9162 §2.1.3.1 inclusion path for leaf `index` in the tree of the first `size` leaves,
 * ordered from the leaf's sibling up to the child of the root (the order the verifier of
 * §2.1.3.2 consumes). Every element is the root of a subtree; at most one of them is not a
 * perfect subtree, so with a warm cache a proof costs O(log size) reads.
 */
export function inclusionProof(
  index: number,
  size: number,
  get: LeafHashAccessor,
  cache?: SubtreeCache
): Uint8Array[] {
  assertSize(size, 'size', 1);
  assertSize(index, 'index');
  if (index >= size) throw new RangeError(`"index" ${index} is outside a tree of size ${size}`);
  const path: Uint8Array[] = [];
  // Walk down from the root; siblings are collected top-down and reversed at the end.
  let start = 0;
  let n = size;
  let m = index;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      path.push(rangeRoot(start + k, n - k, get, cache));
      n = k;
    } else {
      path.push(rangeRoot(start, k, get, cache));
      start += k;
      m -= k;
      n -= k;
    }
  }
  return path.reverse();
}

/**
 * RFC 9162 §2.1.4.1 consistency proof that the tree of the first `oldSize` leaves is a prefix
 * of the tree of the first `newSize` leaves. Equal sizes give an empty proof. `oldSize` 0 is
 * refused: every tree extends the empty one, so such a proof carries no information and the
 * RFC 6962 reference verifiers (transparency-dev/merkle) reject it; a log's first checkpoint
 * simply has no predecessor to check.
 */
export function consistencyProof(
  oldSize: number,
  newSize: number,
  get: LeafHashAccessor,
  cache?: SubtreeCache
): Uint8Array[] {
  assertSize(oldSize, 'oldSize', 1);
  assertSize(newSize, 'newSize', 1);
  if (oldSize > newSize)
    throw new RangeError(`"oldSize" ${oldSize} is larger than "newSize" ${newSize}`);
  const proof: Uint8Array[] = [];
  if (oldSize === newSize) return proof;
  // SUBPROOF(m, D[start:start+n], b) unrolled; `whole` is b: true while the old tree is the
  // whole left part reached so far, in which case its root is known to the verifier and omitted.
  let start = 0;
  let n = newSize;
  let m = oldSize;
  let whole = true;
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeRoot(start + k, n - k, get, cache));
      n = k;
    } else {
      proof.push(rangeRoot(start, k, get, cache));
      start += k;
      m -= k;
      n -= k;
      whole = false;
    }
  }
  if (!whole) proof.push(rangeRoot(start, n, get, cache));
  return proof.reverse();
}
