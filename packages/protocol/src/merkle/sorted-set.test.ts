import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../hashing.ts';
import { EMPTY_ROOT, leafHash } from './hash.ts';
import { MemorySubtreeCache, rootFromLeafHashes } from './subtree.ts';
import { inclusionProof } from './proofs.ts';
import {
  compareItems,
  lowerBound,
  sortedSetNonMembership,
  sortedSetOf,
  sortedSetRoot,
  verifyNonMembership,
  type NonMembershipProof,
} from './sorted-set.ts';

/** n distinct pseudo-random 32-byte items (SHA-256 of a counter), sorted. */
function items(n: number, salt: number): Uint8Array[] {
  return sortedSetOf(
    Array.from({ length: n }, (_, i) => sha256(new TextEncoder().encode(`p-${salt}-${i}`)))
  );
}
const item = (label: string): Uint8Array => sha256(new TextEncoder().encode(label));
const accessor = (list: readonly Uint8Array[]) => (i: number) => list[i] as Uint8Array;

describe('sortedSetOf / sortedSetRoot', () => {
  it('sorts in byte order, drops duplicates and roots the RFC 6962 tree of SHA-256(0x00 || item)', () => {
    const a = new Uint8Array(32).fill(2);
    const b = new Uint8Array(32).fill(1);
    const c = new Uint8Array(32).fill(2);
    const s = sortedSetOf([a, b, c]);
    expect(s.map((x) => x[0])).toEqual([1, 2]);
    expect(bytesToHex(sortedSetRoot(s))).toBe(
      bytesToHex(rootFromLeafHashes(s.map((x) => leafHash(x))))
    );
    expect(bytesToHex(sortedSetRoot([]))).toBe(bytesToHex(EMPTY_ROOT));
  });

  it('refuses an unsorted or repeated list and items that are not 32 bytes', () => {
    const lo = new Uint8Array(32).fill(1);
    const hi = new Uint8Array(32).fill(9);
    expect(() => sortedSetRoot([hi, lo])).toThrow(/"sorted\[1\]" is not greater/);
    expect(() => sortedSetRoot([lo, lo])).toThrow(RangeError);
    expect(() => sortedSetOf([new Uint8Array(31)])).toThrow(
      '"items[0]" expected Uint8Array of length 32, got length=31'
    );
    expect(() => sortedSetNonMembership(new Uint8Array(33), 0, () => lo)).toThrow(RangeError);
  });

  it('orders items as their hex strings do', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b) => {
          const h = bytesToHex(a) < bytesToHex(b) ? -1 : bytesToHex(a) > bytesToHex(b) ? 1 : 0;
          expect(Math.sign(compareItems(a, b))).toBe(h);
        }
      )
    );
  });
});

describe('non-membership proofs', () => {
  it('empty set: no neighbours, root SHA-256("")', () => {
    const p = sortedSetNonMembership(item('x'), 0, () => new Uint8Array(32)) as NonMembershipProof;
    expect(p).toEqual({ version: 1, treeSize: 0, left: null, right: null });
    expect(verifyNonMembership(item('x'), p, 0, EMPTY_ROOT)).toBe(true);
    expect(verifyNonMembership(item('x'), p, 0, item('not the empty root'))).toBe(false);
  });

  it('below the first, between two, above the last: the right neighbours, and each verifies', () => {
    const list = [
      new Uint8Array(32).fill(0x10),
      new Uint8Array(32).fill(0x20),
      new Uint8Array(32).fill(0x30),
    ];
    const root = sortedSetRoot(list);
    const get = accessor(list);
    const below = sortedSetNonMembership(
      new Uint8Array(32).fill(0x01),
      3,
      get
    ) as NonMembershipProof;
    expect([below.left, below.right?.index]).toEqual([null, 0]);
    const between = sortedSetNonMembership(
      new Uint8Array(32).fill(0x25),
      3,
      get
    ) as NonMembershipProof;
    expect([between.left?.index, between.right?.index]).toEqual([1, 2]);
    const above = sortedSetNonMembership(
      new Uint8Array(32).fill(0x31),
      3,
      get
    ) as NonMembershipProof;
    expect([above.left?.index, above.right]).toEqual([2, null]);
    expect(verifyNonMembership(new Uint8Array(32).fill(0x01), below, 3, root)).toBe(true);
    expect(verifyNonMembership(new Uint8Array(32).fill(0x25), between, 3, root)).toBe(true);
    expect(verifyNonMembership(new Uint8Array(32).fill(0x31), above, 3, root)).toBe(true);
    // A member has no proof; an end proof moved to another item is refused.
    expect(sortedSetNonMembership(new Uint8Array(32).fill(0x20), 3, get)).toBeNull();
    expect(verifyNonMembership(new Uint8Array(32).fill(0x15), below, 3, root)).toBe(false);
    expect(verifyNonMembership(new Uint8Array(32).fill(0x25), between, 4, root)).toBe(false);
  });

  it('refuses malformed proofs without throwing', () => {
    const list = items(5, 1);
    const root = sortedSetRoot(list);
    const x = item('outsider');
    const good = sortedSetNonMembership(x, 5, accessor(list)) as NonMembershipProof;
    expect(verifyNonMembership(x, good, 5, root)).toBe(true);
    for (const bad of [
      null,
      7,
      {},
      { ...good, version: 2 },
      { ...good, left: { index: -1, item: 'zz', proof: [] } },
      { ...good, left: null, right: null },
    ]) {
      expect(verifyNonMembership(x, bad, 5, root)).toBe(false);
    }
    expect(verifyNonMembership(new Uint8Array(3), good, 5, root)).toBe(false);
    expect(verifyNonMembership(x, good, 5.5, root)).toBe(false);
  });

  it('a warm subtree cache gives the same proofs', () => {
    const list = items(100, 2);
    const cache = new MemorySubtreeCache(2);
    const root = sortedSetRoot(list, cache);
    const x = item('cached');
    const a = sortedSetNonMembership(x, 100, accessor(list), cache);
    expect(a).toEqual(sortedSetNonMembership(x, 100, accessor(list)));
    expect(verifyNonMembership(x, a, 100, root)).toBe(true);
  });
});

const sizeArb = fc.integer({ min: 0, max: 120 });

describe('non-membership (properties)', () => {
  it('every non-member gets a proof that verifies; lowerBound agrees with a linear scan', () => {
    fc.assert(
      fc.property(
        sizeArb,
        fc.nat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (n, salt, x) => {
          const list = items(n, salt);
          const root = sortedSetRoot(list);
          const at = lowerBound(x, n, accessor(list));
          expect(at).toBe(list.filter((y) => compareItems(y, x) < 0).length);
          const p = sortedSetNonMembership(x, n, accessor(list));
          expect(p).not.toBeNull();
          expect(verifyNonMembership(x, p, n, root)).toBe(true);
        }
      ),
      { numRuns: 150 }
    );
  });

  it('a member never gets a valid non-membership proof, whatever honest leaves are combined', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.nat(), fc.nat(), (n, salt, pick) => {
        const list = items(n, salt);
        const root = sortedSetRoot(list);
        const m = pick % n;
        const member = list[m] as Uint8Array;
        expect(sortedSetNonMembership(member, n, accessor(list))).toBeNull();
        const leaf = (i: number) => leafHash(list[i] as Uint8Array);
        const honest = list.map((_, i) => ({
          index: i,
          item: bytesToHex(list[i] as Uint8Array),
          proof: inclusionProof(i, n, leaf).map((h) => bytesToHex(h)),
        }));
        // Every (left, right) pair of honest neighbours, including the ends.
        const options = [null, ...honest];
        for (const l of options) {
          for (const r of options) {
            const proof = { version: 1, treeSize: n, left: l, right: r };
            expect(verifyNonMembership(member, proof, n, root)).toBe(false);
          }
        }
      }),
      { numRuns: 30 }
    );
  });

  it('forged adjacency is rejected: skipped leaves, swapped sides, a wrong index or a changed path element', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 80 }),
        fc.nat(),
        fc.nat(),
        fc.nat(255),
        (n, salt, pick, bit) => {
          const list = items(n, salt);
          const root = sortedSetRoot(list);
          const leaf = (i: number) => leafHash(list[i] as Uint8Array);
          const nb = (i: number, index = i) => ({
            index,
            item: bytesToHex(list[i] as Uint8Array),
            proof: inclusionProof(i, n, leaf).map((h) => bytesToHex(h)),
          });
          // A non-member between leaves i and i + 2 after dropping i + 1 from view: x = list[i+1] with its last byte decremented is a non-member only if it is not equal to list[i].
          const i = pick % (n - 2);
          const x = (list[i + 1] as Uint8Array).slice();
          x[31] = (x[31] as number) ^ 0x01;
          const honest = sortedSetNonMembership(x, n, accessor(list));
          if (honest === null) return; // x happens to be a member: covered by the previous property
          expect(verifyNonMembership(x, honest, n, root)).toBe(true);
          // Skipping a leaf: (i, i + 2) are not adjacent.
          expect(
            verifyNonMembership(
              x,
              { version: 1, treeSize: n, left: nb(i), right: nb(i + 2) },
              n,
              root
            )
          ).toBe(false);
          // Claiming adjacency by lying about an index breaks its inclusion path.
          expect(
            verifyNonMembership(
              x,
              { version: 1, treeSize: n, left: nb(i), right: nb(i + 2, i + 1) },
              n,
              root
            )
          ).toBe(false);
          // Sides swapped.
          expect(
            verifyNonMembership(x, { ...honest, left: honest.right, right: honest.left }, n, root)
          ).toBe(false);
          // One bit of one path element flipped.
          const side = honest.left ?? honest.right;
          if (side && side.proof.length > 0) {
            const el = side.proof[0] as string;
            const flipped =
              (parseInt(el.slice(0, 2), 16) ^ (1 << (bit % 8))).toString(16).padStart(2, '0') +
              el.slice(2);
            const tampered = { ...side, proof: [flipped, ...side.proof.slice(1)] };
            const forged = honest.left
              ? { ...honest, left: tampered }
              : { ...honest, right: tampered };
            expect(verifyNonMembership(x, forged, n, root)).toBe(false);
          }
        }
      ),
      { numRuns: 120 }
    );
  });
});
