/**
 * Points that stand in for customers (docs/psi.md "Hash to group"): public dummies that
 * both parties derive alike, and random points that match nothing.
 *
 * Each kind has its own DST, distinct from every real key's (`fedmark-psi-v2|<federation>|
 * <kind>|...` never starts with `fedmark-psi-v2-`), so under RFC 9380's random-oracle model a
 * dummy or padding point equals a real customer's point only by a collision in a group of about
 * 2^252 elements.
 */
import { PSI_MAX_SET_SIZE } from './psi-limits.ts';
import {
  PSI_DST_VERSION,
  PSI_HASH_SUITE,
  PSI_POINT_BYTES,
  _checkFederationId,
  _hashAllToCurve25519,
} from './hash-to-group.ts';

const utf8 = new TextEncoder();
// A scope names a job and a pair, e.g. `<jobId>:<nodeA>:<nodeB>`: three ids and two separators.
const SCOPE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,511}$/;
/** RFC 9380 §3.1: a DST of its own for points that must never equal a real key's. */
const PADDING_DST = `${PSI_DST_VERSION}-padding|${PSI_HASH_SUITE}`;
// 64 bytes a point (512 bits): no two padding points of any run repeat, in any realistic number
// of runs, and nothing about one says anything about another.
const PADDING_SEED_BYTES = 64;
// W3C WebCrypto getRandomValues returns at most 65536 bytes a call: 1024 seeds.
const SEEDS_PER_DRAW = 65536 / PADDING_SEED_BYTES;

/** `fedmark-psi-v2-dummy|<federationId>|curve25519_XMD:SHA-512_ELL2_RO_`. */
export function psiDummyDomainTag(federationId: string): string {
  _checkFederationId(federationId);
  return `${PSI_DST_VERSION}-dummy|${federationId}|${PSI_HASH_SUITE}`;
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0 || count > PSI_MAX_SET_SIZE) {
    throw new RangeError(`"count" expected an integer in 0..${PSI_MAX_SET_SIZE}`);
  }
}

/**
 * The points of the public dummy keys `dummy:<scope>:<i>` for i in [from, from + count), packed
 * in order, under the federation's dummy DST. Deterministic: both parties get the same points
 * from the same public scope, so a dummy both of them add matches itself and nothing else.
 */
export function hashPsiDummies(args: {
  federationId: string;
  scope: string;
  from: number;
  count: number;
}): Uint8Array {
  const { federationId, scope, from, count } = args;
  const dst = utf8.encode(psiDummyDomainTag(federationId));
  if (typeof scope !== 'string' || !SCOPE.test(scope)) {
    throw new RangeError('"scope" expected 1-512 characters of letters, digits, . _ : -');
  }
  if (!Number.isSafeInteger(from) || from < 0) {
    throw new RangeError('"from" expected a non-negative integer');
  }
  checkCount(count);
  if (!Number.isSafeInteger(from + count)) throw new RangeError('"from + count" is too large');
  // The index is the last `:`-separated field and has no `:` of its own, so scope and index
  // cannot shift into one another.
  const keys = Array.from({ length: count }, (_, i) => utf8.encode(`dummy:${scope}:${from + i}`));
  return _hashAllToCurve25519(keys, dst);
}

/**
 * `count` packed points, each hashed from 64 fresh bytes of crypto.getRandomValues under the
 * padding DST: they pad a set to a public bucket size and match anything with negligible
 * probability. The random bytes are zeroed after use.
 */
export function randomPsiPoints(count: number): Uint8Array {
  checkCount(count);
  const out = new Uint8Array(count * PSI_POINT_BYTES);
  const dst = utf8.encode(PADDING_DST);
  const seeds = new Uint8Array(Math.min(count, SEEDS_PER_DRAW) * PADDING_SEED_BYTES);
  try {
    for (let done = 0; done < count; ) {
      const batch = Math.min(count - done, SEEDS_PER_DRAW);
      const draw = seeds.subarray(0, batch * PADDING_SEED_BYTES);
      crypto.getRandomValues(draw);
      const seedsOfBatch = Array.from({ length: batch }, (_, j) =>
        draw.subarray(j * PADDING_SEED_BYTES, (j + 1) * PADDING_SEED_BYTES)
      );
      out.set(_hashAllToCurve25519(seedsOfBatch, dst), done * PSI_POINT_BYTES);
      done += batch;
    }
  } finally {
    seeds.fill(0);
  }
  return out;
}
