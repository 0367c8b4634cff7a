/**
 * Locates a rewritten history from signed tree heads (docs/audit.md "What each kind of tampering
 * looks like"). A chain cut, or cut and re-appended, re-hashes cleanly; what still shows it is a
 * checkpoint (an RFC 6962 root over the first `size` entries) that the rows no longer reproduce.
 *
 * A root commits to its whole prefix and to nothing smaller: a checkpoint of S entries that
 * still matches proves entries [0, S) unchanged, one that does not proves some entry in [0, S)
 * changed, and no root says which. So the first changed entry is placed between the largest
 * matching checkpoint L and the smallest failing one U: exactly when U = L + 1, otherwise as the
 * lowest possible entry L with the range [L, U) named. Only evidence the node cannot forge may
 * prove a prefix intact (a checkpoint the coordinator logged or receipted): a node-signed
 * checkpoint alone can be re-signed over a forged history, so it counts as a lower bound only
 * when there is no such evidence at all.
 */

export interface RootAnchor {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  /** Backed by the coordinator (in its log, or with its receipt), not by the node's key alone. */
  trusted: boolean;
}

export interface ChangeLocation {
  /** First altered entry, or the lowest it can be (see the module comment). */
  firstBadSeq: number;
  /** True when firstBadSeq is certainly the first altered entry. */
  exact: boolean;
  /** Where the change is, e.g. "entry 27 was changed" or "the first changed entry is in [11, 22) …". */
  where: string;
  detail: string;
}

/**
 * `tested` are the checkpoints this check answers for (the first that the rows do not reproduce
 * fails it); `support` are further checkpoints used only to prove a prefix intact. `size` is the
 * number of readable entries and `rootAt(n)` the root recomputed from them at every anchor size.
 */
export function locateChange(
  who: string,
  tested: readonly RootAnchor[],
  support: readonly RootAnchor[],
  size: number,
  rootAt: (n: number) => string | undefined
): ChangeLocation | null {
  const fits = (a: RootAnchor) => a.treeSize <= size && rootAt(a.treeSize) === a.rootHash;
  const bad = [...tested].sort((a, b) => a.treeSize - b.treeSize).find((a) => !fits(a));
  if (!bad) return null;
  const all = [...tested, ...support];
  const anyTrusted = all.some((a) => a.trusted);
  let lower = 0;
  for (const a of all)
    if ((a.trusted || !anyTrusted) && a.treeSize < bad.treeSize && a.treeSize > lower && fits(a))
      lower = a.treeSize;
  const still = lower > 0 ? ` (the checkpoint of ${lower} entries still matches)` : '';
  const head = `${who} checkpoint of ${bad.treeSize} entries (${bad.timestamp})`;
  if (bad.treeSize > size) {
    // Entry `size` is certainly gone; an earlier one may differ too (cut, then re-appended
    // shorter), which only a checkpoint in [lower, size] could show.
    const before = lower < size ? `; entries in [${lower}, ${size}) may differ too${still}` : still;
    const where = `entries were deleted or truncated from entry ${size} on${before}`;
    return {
      firstBadSeq: size,
      exact: lower === size,
      where,
      detail: `${head} but the ledger has only ${size} readable entries: ${where}`,
    };
  }
  const where =
    bad.treeSize === lower + 1
      ? `entry ${lower} was changed${still}`
      : `the first changed entry is in [${lower}, ${bad.treeSize})${still}; a Merkle root cannot say which entry inside the range`;
  return {
    firstBadSeq: lower,
    exact: bad.treeSize === lower + 1,
    where,
    detail: `${head} does not match the ledger: ${where}`,
  };
}
