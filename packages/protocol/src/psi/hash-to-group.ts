/**
 * Federation-keyed hashing of matching keys into ristretto255 (docs/psi.md "Hash to group").
 *
 * hash_to_ristretto255 is RFC 9380 Appendix B: uniform = expand_message_xmd(SHA-512, msg, DST,
 * 64) (§5.3.1), then the RFC 9496 §4.3.4 element derivation (two Elligator maps, added). We use
 * @noble/curves' implementation and check it against RFC 9496 Appendix A.3, RFC 9380 K.3 and
 * RFC 9497 Appendix A.1.1 in the tests.
 *
 * The DST is public, so "keyed" means domain-separated, not secret: it makes H_f(x) for one
 * federation unrelated to H_g(x) for another (and an e-mail unrelated to the same string as a
 * partner id), so blinded sets from two federations cannot be correlated even by a party that
 * took part in both. Anyone who knows x can still compute H_f(x), which is why an unblinded
 * point never leaves a node (psi-cardinality.ts blinds before anything is sent).
 */
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { IdSchema } from '../schemas/common.ts';
import { MATCHING_KEY_KINDS, type MatchingKeyKind } from './normalise-key.ts';

/** Bytes of an encoded ristretto255 element (RFC 9496 §4.3.2). */
export const RISTRETTO_POINT_BYTES = 32;

/**
 * Version label of the PSI hashing rules. Bump it when normalisation or the encoding of the
 * message changes: old and new points must never compare equal by accident.
 */
export const PSI_DST_VERSION = 'fedmark-psi-v1';

/** RFC 9380 §8.10 suite ID of hash_to_ristretto255; §3.1 recommends carrying it in the DST. */
export const PSI_HASH_SUITE = 'ristretto255_XMD:SHA-512_R255MAP_RO_';

// RFC 9380 §5.3.3: a DST longer than 255 bytes is silently replaced by its hash. Ours is short
// by construction (prefix + an id of at most 128 characters + a kind + the suite), and we refuse
// rather than rely on that rule so the DST is always what the docs say.
const MAX_DST_BYTES = 255;
const UNIFORM_BYTES = 64; // RFC 9380 Appendix B: len_in_bytes = 64 for ristretto255
const utf8 = new TextEncoder();

/**
 * `fedmark-psi-v1|<federationId>|<kind>|ristretto255_XMD:SHA-512_R255MAP_RO_`. The federation
 * id must be an IdSchema id, which cannot contain `|`, so the fields cannot be shifted.
 */
export function psiDomainTag(federationId: string, kind: MatchingKeyKind): string {
  if (!IdSchema.safeParse(federationId).success) {
    throw new RangeError('"federationId" expected 1-128 characters of letters, digits, . _ : -');
  }
  if (!(MATCHING_KEY_KINDS as readonly string[]).includes(kind)) {
    throw new RangeError(`"kind" expected one of ${MATCHING_KEY_KINDS.join(', ')}`);
  }
  const dst = `${PSI_DST_VERSION}|${federationId}|${kind}|${PSI_HASH_SUITE}`;
  if (dst.length > MAX_DST_BYTES) throw new RangeError('"dst" longer than 255 bytes');
  return dst;
}

/**
 * hash_to_ristretto255(msg, DST) (RFC 9380 Appendix B), encoded (RFC 9496 §4.3.2). `dst` may be
 * bytes for tags that are not printable ASCII, such as RFC 9497's, which contain a 0x00.
 */
export function hashToRistretto255(msg: Uint8Array, dst: string | Uint8Array): Uint8Array {
  if (!(msg instanceof Uint8Array)) throw new TypeError('"msg" expected Uint8Array');
  const dstBytes = typeof dst === 'string' ? utf8.encode(dst) : dst;
  if (dstBytes.length === 0 || dstBytes.length > MAX_DST_BYTES) {
    throw new RangeError(`"dst" expected 1-255 bytes, got length=${dstBytes.length}`);
  }
  return ristretto255_hasher.hashToCurve(msg, { DST: dstBytes }).toBytes();
}

/**
 * The same function spelled out from its parts, for the test that pins @noble's hashToCurve to
 * RFC 9380's definition; not exported from the package.
 */
export function _hashToRistretto255FromParts(msg: Uint8Array, dst: string): Uint8Array {
  const uniform = expand_message_xmd(msg, dst, UNIFORM_BYTES, sha512);
  const deriveToCurve = ristretto255_hasher.deriveToCurve;
  if (deriveToCurve === undefined) throw new Error('@noble/curves lacks deriveToCurve');
  return deriveToCurve(uniform).toBytes();
}

/** H_{federation,kind}(key): the group element of one normalised matching key. */
export function hashMatchingKey(
  federationId: string,
  kind: MatchingKeyKind,
  normalisedKey: string
): Uint8Array {
  return hashToRistretto255(utf8.encode(normalisedKey), psiDomainTag(federationId, kind));
}

/**
 * Hashes every normalised key into one packed buffer of 32-byte points, in input order. Keys
 * must be unique (psi-cardinality.ts refuses duplicate points; docs/psi.md "Duplicates").
 */
export function hashMatchingKeys(
  federationId: string,
  kind: MatchingKeyKind,
  normalisedKeys: readonly string[]
): Uint8Array {
  const dst = psiDomainTag(federationId, kind);
  const out = new Uint8Array(normalisedKeys.length * RISTRETTO_POINT_BYTES);
  normalisedKeys.forEach((key, i) => {
    out.set(hashToRistretto255(utf8.encode(key), dst), i * RISTRETTO_POINT_BYTES);
  });
  return out;
}

/** True if `bytes` is the canonical encoding of a non-identity ristretto255 element. */
export function isValidPsiPoint(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length !== RISTRETTO_POINT_BYTES) return false;
  try {
    return !ristretto255.Point.fromBytes(bytes).is0();
  } catch {
    return false;
  }
}
