import { CompactMerkleTree, bytesToHex, compareItems, type LedgerEntry } from '@fedmark/protocol';
import { fastLeafHash } from './chain.ts';

export interface UnitsSortedResult {
  ok: boolean;
  detail: string;
  firstBadSeq?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The premise of every non-membership proof (erasure_honoured): a release's committed unit list
 * is strictly ascending, so two adjacent leaves bracketing a pseudonym show it is absent. A node
 * that committed an unsorted list could "prove" absence of a pseudonym it did use. This reads
 * each stored list in full, checks strict order and the count, and recomputes the RFC 6962 root
 * against the `unitsRoot` of the chain-verified ledger entry. O(n) hashing per release, so it
 * runs only when asked (`fedmark audit verify --deep`, node directory only).
 */
export function checkUnitsSorted(
  releases: readonly LedgerEntry[],
  unitList: (releaseSeq: number) => Iterable<Uint8Array> | null
): UnitsSortedResult {
  let lists = 0;
  let units = 0;
  for (const r of [...releases].sort((a, b) => a.seq - b.seq)) {
    const root = r.body['unitsRoot'];
    const count = r.body['unitsCount'];
    if (typeof root !== 'string' || !HEX64.test(root) || typeof count !== 'number' || count === 0)
      continue;
    const fail = (why: string): UnitsSortedResult => ({
      ok: false,
      detail: `release entry ${r.seq}: ${why}`,
      firstBadSeq: r.seq,
    });
    const list = unitList(r.seq);
    if (list === null) return fail('its committed unit list is not stored beside the ledger');
    const tree = new CompactMerkleTree();
    let prev: Uint8Array | null = null;
    let n = 0;
    for (const item of list) {
      if (item.length !== 32) return fail(`unit ${n} is ${item.length} bytes, not 32`);
      if (prev !== null && compareItems(prev, item) >= 0)
        return fail(
          `units ${n - 1} and ${n} are not in strictly ascending order: non-membership proofs against this list prove nothing`
        );
      tree.append(fastLeafHash(item));
      prev = Uint8Array.from(item);
      n++;
    }
    if (n !== count)
      return fail(`the stored list holds ${n} units, the ledger entry commits to ${count}`);
    if (bytesToHex(tree.root()) !== root)
      return fail('the stored list does not hash to the unitsRoot in the ledger');
    lists++;
    units += n;
  }
  return {
    ok: true,
    detail: `${lists} committed unit list(s), ${units} unit(s): strictly ascending, counts and roots recompute`,
  };
}
