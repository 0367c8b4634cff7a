import {
  EMPTY_ROOT,
  bytesToHex,
  hexToBytes,
  verifyNonMembership,
  type LedgerEntry,
} from '@fedmark/protocol';

/**
 * Where the audit gets non-membership proofs for a release's committed units: the node's
 * release_units table (node directory) or its auditor API. It MUST return the proof as the node
 * gives it (it is verified here against the ledger's root), null when the node says the
 * pseudonym IS among the release's units, and throw when the units cannot be read.
 */
export interface UnitsProver {
  /** One answer per pseudonym, in order. */
  nonMembership(releaseSeq: number, pseudonyms: readonly string[]): Promise<unknown[]>;
}

export interface ErasureCheckResult {
  ok: boolean;
  detail: string;
  /** The first release (lowest seq) that fails, when one does. */
  firstBadSeq?: number;
  /** Releases after an erasure that carry no units commitment (made before commitments existed). */
  noCommitment: number[];
  /** (erasure, later release) pairs proven. */
  proven: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const short = (p: string): string => `${p.slice(0, 16)}…`;

/**
 * For every erasure entry with a subject pseudonym and every later release entry, checks a
 * non-membership proof of the pseudonym against the release's `unitsRoot` and `unitsCount`
 * (taken from the ledger entries, whose chain the `chain` check verifies, never from the
 * prover). Fails at the lowest release seq whose proof is missing, refused or invalid.
 */
export async function checkErasuresHonoured(
  entries: { erasures: readonly LedgerEntry[]; releases: readonly LedgerEntry[] },
  prover: UnitsProver
): Promise<ErasureCheckResult> {
  const erasures = entries.erasures.filter(
    (e) => typeof e.subject === 'string' && HEX64.test(e.subject)
  );
  const noCommitment: number[] = [];
  let proven = 0;
  const releases = [...entries.releases].sort((a, b) => a.seq - b.seq);
  const fail = (seq: number, why: string): ErasureCheckResult => ({
    ok: false,
    detail: `release entry ${seq}: ${why}`,
    firstBadSeq: seq,
    noCommitment,
    proven,
  });
  for (const r of releases) {
    const before = erasures.filter((e) => e.seq < r.seq);
    if (before.length === 0) continue;
    const root = r.body['unitsRoot'];
    const count = r.body['unitsCount'];
    if (root === undefined || root === null) {
      noCommitment.push(r.seq);
      continue;
    }
    if (
      typeof root !== 'string' ||
      !HEX64.test(root) ||
      typeof count !== 'number' ||
      !Number.isSafeInteger(count) ||
      count < 0
    ) {
      return fail(
        r.seq,
        'malformed units commitment (unitsRoot must be 64 hex, unitsCount a non-negative integer)'
      );
    }
    if (count === 0) {
      // An empty set needs no stored list: its root must be the empty tree's.
      if (root !== bytesToHex(EMPTY_ROOT))
        return fail(r.seq, 'unitsCount is 0 but unitsRoot is not the root of the empty tree');
      proven += before.length;
      continue;
    }
    let proofs: unknown[];
    try {
      proofs = await prover.nonMembership(
        r.seq,
        before.map((e) => e.subject as string)
      );
    } catch (err) {
      return fail(
        r.seq,
        `no non-membership proofs for the ${before.length} pseudonym(s) erased before it: ${err instanceof Error ? err.message : String(err)}`
      );
    }
    for (const [i, e] of before.entries()) {
      const p = e.subject as string;
      const proof = proofs[i];
      if (proof === undefined)
        return fail(
          r.seq,
          `no non-membership proof for pseudonym ${short(p)} (erased at entry ${e.seq})`
        );
      if (proof === null)
        return fail(
          r.seq,
          `used the pseudonym ${short(p)} erased at entry ${e.seq}: it is among the release's committed units`
        );
      if (!verifyNonMembership(hexToBytes(p), proof, count, hexToBytes(root))) {
        return fail(
          r.seq,
          `the non-membership proof for pseudonym ${short(p)} (erased at entry ${e.seq}) does not verify against the release's unitsRoot`
        );
      }
      proven++;
    }
  }
  const detail =
    erasures.length === 0
      ? 'no erasures recorded'
      : `${proven} (erasure, later release) pair(s) proven: no release after an erasure used the erased pseudonym` +
        (noCommitment.length > 0
          ? `; ${noCommitment.length} later release(s) carry no units commitment (see notes)`
          : '');
  return { ok: true, detail, noCommitment, proven };
}
