/**
 * DDH-based PSI cardinality between an initiator A and a responder B (docs/psi.md), the
 * cardinality mode of Ion et al., "On Deploying Secure Computing: Private Intersection-Sum-with-
 * Cardinality" (EuroS&P 2020, Figure 2 without the sum) and of OpenMined PSI's
 * `reveal_intersection = false`:
 *
 *   1. A: request = shuffle({ H(x)^a : x in X })
 *   2. B: reply   = { doubleBlinded: shuffle({ P^b : P in request }),
 *                     responderBlinded: shuffle({ H(y)^b : y in Y }) }
 *   3. A: |X ∩ Y| = |{ Q^a : Q in responderBlinded } ∩ doubleBlinded|
 *
 * H is hash-to-group.ts (so H(x)^ab = H(y)^ba iff x = y, up to hash collisions), a and b are
 * per-run PsiSecret scalars. Security is against semi-honest parties under DDH in ristretto255;
 * B's shuffle of doubleBlinded is what hides *which* of A's elements matched. Every function is
 * pure over packed 32-byte encodings; every received set is fully validated before use.
 *
 * Duplicate points are refused, never merged here: the count is defined over sets, and a
 * duplicate in a peer's message can only inflate it. A node whose own keys repeat (two
 * customers sharing an e-mail) dedupes them explicitly with `uniqueMatchingKeys` before hashing
 * and records how many it merged (docs/psi.md "Duplicates").
 */
import { ProtocolError } from '../errors.ts';
import { type RandomWords, cryptoRandomWords, shuffleInPlace } from './_shuffle.ts';
import { decodePointSet, packEncodings } from './_point-set.ts';
import { RISTRETTO_POINT_BYTES } from './hash-to-group.ts';
import { PSI_DEFAULT_LIMITS, type PsiLimits, checkLimits } from './psi-limits.ts';
import type { PsiSecret } from './psi-secret.ts';

/** B's answer to A's request. */
export type PsiReply = {
  /** A's points raised to b, shuffled; exactly as many as A sent. */
  doubleBlinded: Uint8Array;
  /** B's own hashed keys raised to b, shuffled. */
  responderBlinded: Uint8Array;
};

/** What A learns. B learns only A's set size (the request's length). */
export type PsiCardinality = {
  intersectionSize: number;
  initiatorSetSize: number;
  responderSetSize: number;
};

type Common = { secret: PsiSecret; limits?: PsiLimits; random?: RandomWords };

function blindAll(
  points: ReturnType<typeof decodePointSet>,
  secret: PsiSecret,
  random: RandomWords
): Uint8Array {
  const k = secret._scalar();
  // multiply, not multiplyUnsafe: the scalar is secret, and noble's multiply is the
  // constant-time ladder (@noble/curves README "Security").
  const out = points.map((p) => p.multiply(k).toBytes());
  return packEncodings(shuffleInPlace(out, random));
}

/** Step 1 (A): blinds and shuffles A's own hashed keys (hashMatchingKeys output). */
export function psiInitiatorRequest(args: Common & { ownPoints: Uint8Array }): Uint8Array {
  const limits = checkLimits(args.limits ?? PSI_DEFAULT_LIMITS);
  const own = decodePointSet(args.ownPoints, { origin: 'own', label: 'ownPoints', limits });
  return blindAll(own, args.secret, args.random ?? cryptoRandomWords);
}

/**
 * Step 2 (B): validates A's request, raises it to b and shuffles it, and blinds B's own set.
 * `limits.minSetSize` refuses an initiator set too small to hide its members (POLICY_REFUSED).
 */
export function psiResponderReply(
  args: Common & { request: Uint8Array; ownPoints: Uint8Array }
): PsiReply {
  const limits = checkLimits(args.limits ?? PSI_DEFAULT_LIMITS);
  const random = args.random ?? cryptoRandomWords;
  const request = decodePointSet(args.request, { origin: 'peer', label: 'request', limits });
  const own = decodePointSet(args.ownPoints, { origin: 'own', label: 'ownPoints', limits });
  return {
    doubleBlinded: blindAll(request, args.secret, random),
    responderBlinded: blindAll(own, args.secret, random),
  };
}

/**
 * Step 3 (A): validates B's reply and counts the matches. `requestSize` is the number of points
 * A sent in step 1; a reply with a different number of double-blinded points is refused.
 */
export function psiInitiatorCount(
  args: Omit<Common, 'random'> & { requestSize: number; reply: PsiReply }
): PsiCardinality {
  const limits = checkLimits(args.limits ?? PSI_DEFAULT_LIMITS);
  const { reply, requestSize } = args;
  if (!Number.isSafeInteger(requestSize) || requestSize < 0) {
    throw new RangeError('"requestSize" expected a non-negative integer');
  }
  if (typeof reply !== 'object' || reply === null) {
    throw new ProtocolError('BAD_REQUEST', 'psi reply: expected an object');
  }
  // The double-blinded set is A's own set coming back, so the minimum applies only to B's.
  const sameSize = { ...limits, minSetSize: 0 };
  const doubled = decodePointSet(reply.doubleBlinded, {
    origin: 'peer',
    label: 'doubleBlinded',
    limits: sameSize,
  });
  if (doubled.length !== requestSize) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `psi doubleBlinded: expected ${requestSize} points, got ${doubled.length}`
    );
  }
  const theirs = decodePointSet(reply.responderBlinded, {
    origin: 'peer',
    label: 'responderBlinded',
    limits,
  });
  const doubledSet = new Set<string>();
  for (let i = 0; i < reply.doubleBlinded.length; i += RISTRETTO_POINT_BYTES) {
    doubledSet.add(toKey(reply.doubleBlinded.subarray(i, i + RISTRETTO_POINT_BYTES)));
  }
  const a = args.secret._scalar();
  let intersectionSize = 0;
  for (const q of theirs) {
    if (doubledSet.has(toKey(q.multiply(a).toBytes()))) intersectionSize++;
  }
  return { intersectionSize, initiatorSetSize: requestSize, responderSetSize: theirs.length };
}

// Latin-1 of the 32 bytes: a compact, exact Map key (one char per byte).
function toKey(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/**
 * Removes repeated normalised keys, keeping first occurrences, and reports how many were
 * dropped so the node can log the count (never the keys).
 */
export function uniqueMatchingKeys(keys: readonly string[]): {
  keys: string[];
  duplicates: number;
} {
  const unique = [...new Set(keys)];
  return { keys: unique, duplicates: keys.length - unique.length };
}
