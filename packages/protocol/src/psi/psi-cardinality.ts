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
 * H is hash-to-group.ts (so H(x)^ab = H(y)^ba iff x = y, up to hash collisions), and "^a" is
 * X25519 with the per-run PsiSecret a (_x25519.ts: clamped scalars commute). Security is against
 * semi-honest parties under DDH in curve25519's prime-order subgroup; B's shuffle of
 * doubleBlinded is what hides *which* of A's elements matched. Every function is pure over
 * packed 32-byte u-coordinates; every received set is fully checked before use (_point-set.ts).
 *
 * Duplicate points are refused, never merged here: the count is defined over sets, and a
 * duplicate in a peer's message can only inflate it. A node whose own keys repeat (two
 * customers sharing an e-mail) dedupes them explicitly with `uniqueMatchingKeys` before hashing
 * and records how many it merged (docs/psi.md "Duplicates").
 */
import { ProtocolError } from '../errors.ts';
import { type RandomWords, cryptoRandomWords, shuffleInPlace } from './_shuffle.ts';
import { blindPointSet, checkPointSet } from './_point-set.ts';
import { PSI_POINT_BYTES } from './hash-to-group.ts';
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

/** The 32-byte records of `packed` in a uniformly random order (_shuffle.ts). */
function shufflePoints(packed: Uint8Array, random: RandomWords): Uint8Array {
  const n = packed.length / PSI_POINT_BYTES;
  const order = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    random
  );
  const out = new Uint8Array(packed.length);
  order.forEach((from, to) => {
    const at = from * PSI_POINT_BYTES;
    out.set(packed.subarray(at, at + PSI_POINT_BYTES), to * PSI_POINT_BYTES);
  });
  packed.fill(0); // the unshuffled order is what the shuffle hides
  return out;
}

/** Step 1 (A): blinds and shuffles A's own hashed keys (hashMatchingKeys output). */
export function psiInitiatorRequest(args: Common & { ownPoints: Uint8Array }): Uint8Array {
  const limits = checkLimits(args.limits ?? PSI_DEFAULT_LIMITS);
  const where = { origin: 'own', label: 'ownPoints' } as const;
  checkPointSet(args.ownPoints, { ...where, limits });
  const blinded = blindPointSet(args.ownPoints, args.secret._privateKey(), where);
  return shufflePoints(blinded, args.random ?? cryptoRandomWords);
}

/**
 * Step 2 (B): checks A's request, raises it to b and shuffles it, and blinds B's own set.
 * `limits.minSetSize` refuses an initiator set too small to hide its members (POLICY_REFUSED).
 */
export function psiResponderReply(
  args: Common & { request: Uint8Array; ownPoints: Uint8Array }
): PsiReply {
  const limits = checkLimits(args.limits ?? PSI_DEFAULT_LIMITS);
  const random = args.random ?? cryptoRandomWords;
  const peer = { origin: 'peer', label: 'request' } as const;
  const own = { origin: 'own', label: 'ownPoints' } as const;
  checkPointSet(args.request, { ...peer, limits });
  checkPointSet(args.ownPoints, { ...own, limits });
  const key = args.secret._privateKey();
  return {
    doubleBlinded: shufflePoints(blindPointSet(args.request, key, peer), random),
    responderBlinded: shufflePoints(blindPointSet(args.ownPoints, key, own), random),
  };
}

/**
 * Step 3 (A): checks B's reply and counts the matches. `requestSize` is the number of points A
 * sent in step 1; a reply with a different number of double-blinded points is refused.
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
  const doubled = checkPointSet(reply.doubleBlinded, {
    origin: 'peer',
    label: 'doubleBlinded',
    limits: { ...limits, minSetSize: 0 },
  });
  if (doubled.size !== requestSize) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `psi doubleBlinded: expected ${requestSize} points, got ${doubled.size}`
    );
  }
  const theirs = { origin: 'peer', label: 'responderBlinded' } as const;
  const responderSetSize = checkPointSet(reply.responderBlinded, { ...theirs, limits }).size;
  // blindPointSet refuses two of B's points that coincide once raised to a, so each of A's
  // points is matched at most once and the count never exceeds min(|X|, |Y|).
  const matched = blindPointSet(reply.responderBlinded, args.secret._privateKey(), theirs);
  let intersectionSize = 0;
  for (let at = 0; at < matched.length; at += PSI_POINT_BYTES) {
    const key = Buffer.from(matched.buffer, matched.byteOffset + at, PSI_POINT_BYTES).toString(
      'latin1'
    );
    if (doubled.has(key)) intersectionSize++;
  }
  matched.fill(0);
  return { intersectionSize, initiatorSetSize: requestSize, responderSetSize };
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
