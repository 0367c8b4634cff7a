import { z } from 'zod';
import { bytesToHex, equalBytes, hexToBytes } from '../hashing.ts';
import { Hash256Schema } from '../schemas/common.ts';
import { EMPTY_ROOT, MERKLE_HASH_BYTES, assertSize, isHash, leafHash } from './hash.ts';
import { inclusionProof } from './proofs.ts';
import { rootAt, type SubtreeCache } from './subtree.ts';
import { verifyInclusion } from './verify.ts';
import { MAX_PROOF_HASHES } from './wire.ts';

// A commitment to a set of 32-byte items (a node's keyed customer pseudonyms) as the RFC 6962
// tree over the items sorted in strictly ascending byte order, leaf i = SHA-256(0x00 || item i).
// Non-membership of x is shown by the two adjacent leaves that bracket it (or the first/last
// leaf at an end, or nothing for the empty set), each with an RFC 9162 inclusion proof: if the
// committed list is strictly sorted, adjacent leaves a < x < b leave no index for x. This is the
// sorted-leaf construction of Certificate Transparency's "revocation transparency" proposal
// (Laurie & Kasper 2012), on plain RFC 6962 trees so the existing verifier does the hashing.
// Its soundness rests on the committed list being sorted: a verifier that holds the whole list
// checks that (sortedSetRoot refuses an unsorted list); one that holds only the root trusts the
// committer for it, as the committer also chose which items to commit to.

/** Items are 32 bytes (SHA-256 / HMAC-SHA256 outputs). */
export const SORTED_SET_ITEM_BYTES = MERKLE_HASH_BYTES;

/** Returns item `index` (0-based) of the committed, strictly ascending list: 32 bytes. */
export type SortedItemAccessor = (index: number) => Uint8Array;

/** Lexicographic byte order: negative, 0 or positive (same order as their lower-case hex). */
export function compareItems(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function assertItem(value: unknown, label: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new TypeError(`"${label}" expected Uint8Array, got ${typeof value}`);
  if (value.length !== SORTED_SET_ITEM_BYTES) {
    throw new RangeError(
      `"${label}" expected Uint8Array of length ${SORTED_SET_ITEM_BYTES}, got length=${value.length}`
    );
  }
}

/** Sorts and de-duplicates 32-byte items into the order the commitment uses. */
export function sortedSetOf(items: Iterable<Uint8Array>): Uint8Array[] {
  const all: Uint8Array[] = [];
  let i = 0;
  for (const it of items) {
    assertItem(it, `items[${i++}]`);
    all.push(it);
  }
  all.sort(compareItems);
  return all.filter((x, j) => j === 0 || compareItems(all[j - 1] as Uint8Array, x) !== 0);
}

/**
 * RFC 6962 root over a strictly ascending list of 32-byte items (leaf = SHA-256(0x00 || item)).
 * Throws a RangeError naming the first index out of order or repeated.
 */
export function sortedSetRoot(sorted: readonly Uint8Array[], cache?: SubtreeCache): Uint8Array {
  sorted.forEach((x, i) => {
    assertItem(x, `sorted[${i}]`);
    if (i > 0 && compareItems(sorted[i - 1] as Uint8Array, x) >= 0) {
      throw new RangeError(
        `"sorted[${i}]" is not greater than the item before it: the list must be strictly ascending`
      );
    }
  });
  return rootAt(sorted.length, (i) => leafHash(sorted[i] as Uint8Array), cache);
}

/** One bracketing leaf: its index, the item (hex) and its RFC 9162 inclusion path (hex). */
export const SortedSetNeighbourSchema = z.object({
  index: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  item: Hash256Schema,
  proof: z.array(Hash256Schema).max(MAX_PROOF_HASHES),
});
export type SortedSetNeighbour = z.infer<typeof SortedSetNeighbourSchema>;

/**
 * Wire form of a non-membership proof. `left` is the largest committed item below the queried
 * one (null when there is none), `right` the smallest above it (null when there is none).
 */
export const NonMembershipProofSchema = z.object({
  version: z.literal(1),
  treeSize: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  left: SortedSetNeighbourSchema.nullable(),
  right: SortedSetNeighbourSchema.nullable(),
});
export type NonMembershipProof = z.infer<typeof NonMembershipProofSchema>;

/** Index of the first item >= x in the sorted list (size when every item is smaller). */
export function lowerBound(x: Uint8Array, size: number, get: SortedItemAccessor): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (compareItems(get(mid), x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Proof that `item` is not in the committed list of `size` items served by `get`, or null when
 * it is a member (there is no such proof). `cache` (perfect subtrees of the leaf-hash tree,
 * as in rangeRoot) keeps each inclusion path at O(2^minLevel · log size) hashing.
 */
export function sortedSetNonMembership(
  item: Uint8Array,
  size: number,
  get: SortedItemAccessor,
  cache?: SubtreeCache
): NonMembershipProof | null {
  assertItem(item, 'item');
  assertSize(size, 'size');
  const at = lowerBound(item, size, get);
  if (at < size && compareItems(get(at), item) === 0) return null;
  const leaf = (i: number) => leafHash(get(i));
  const neighbour = (index: number): SortedSetNeighbour => ({
    index,
    item: bytesToHex(get(index)),
    proof: inclusionProof(index, size, leaf, cache).map((h) => bytesToHex(h)),
  });
  return {
    version: 1,
    treeSize: size,
    left: at > 0 ? neighbour(at - 1) : null,
    right: at < size ? neighbour(at) : null,
  };
}

function includes(n: SortedSetNeighbour, size: number, root: Uint8Array): boolean {
  const item = hexToBytes(n.item);
  return verifyInclusion(
    leafHash(item),
    n.index,
    size,
    n.proof.map((h) => hexToBytes(h)),
    root
  );
}

/**
 * True iff `proof` shows that `item` is not among the `size` committed items with RFC 6962
 * root `root`: the bracketing leaves are adjacent (or at the ends), strictly below and above
 * `item`, and each is included at its index. `size` and `root` must come from an authenticated
 * source (a verified ledger entry), never from the proof. Malformed input gives false, never a
 * throw (STYLE §5).
 */
export function verifyNonMembership(
  item: Uint8Array,
  proof: unknown,
  size: number,
  root: Uint8Array
): boolean {
  try {
    if (!isHash(item) || !isHash(root) || !Number.isSafeInteger(size) || size < 0) return false;
    const parsed = NonMembershipProofSchema.safeParse(proof);
    if (!parsed.success) return false;
    const { left, right, treeSize } = parsed.data;
    if (treeSize !== size) return false;
    if (size === 0) return left === null && right === null && equalBytes(root, EMPTY_ROOT);
    if (left === null && right === null) return false;
    if (left === null && right?.index !== 0) return false;
    if (right === null && left?.index !== size - 1) return false;
    if (left !== null && right !== null && right.index !== left.index + 1) return false;
    if (
      left !== null &&
      (compareItems(hexToBytes(left.item), item) >= 0 || !includes(left, size, root))
    )
      return false;
    if (
      right !== null &&
      (compareItems(item, hexToBytes(right.item)) >= 0 || !includes(right, size, root))
    )
      return false;
    return true;
  } catch {
    return false;
  }
}
