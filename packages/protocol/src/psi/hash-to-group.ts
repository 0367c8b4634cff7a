/**
 * Federation-keyed hashing of matching keys into curve25519 (docs/psi.md "Hash to group").
 *
 * H(x) = hash_to_curve(x, DST) of RFC 9380's suite curve25519_XMD:SHA-512_ELL2_RO_ (§8.5), sent
 * as the point's 32-byte little-endian u-coordinate (RFC 7748 §5), which is all X25519 reads.
 * @noble/curves 2.0.1 has no curve25519 hasher, only edwards25519_XMD:SHA-512_ELL2_RO_, and RFC
 * 9380 §8.5 defines that suite as the curve25519 one with the same hash_to_field (p, m = 1,
 * k = 128, L = 48, SHA-512) and h_eff = 8, its map being the curve25519 Elligator 2 map followed
 * by the RFC 7748 §4.1 birational map (§6.8.2, Appendix G.2.2). The birational map is a group
 * isomorphism, so it commutes with the point addition and the cofactor clearing of
 * hash_to_curve: applying its inverse, u = (1 + y) / (1 - y) (RFC 7748 §4.1), to the edwards25519
 * output under our DST gives exactly the curve25519 output under the same DST. (The one place
 * where the straight-line edwards25519 map departs from the rational map, Appendix G.2.2 step
 * 8, sends the point of order 2 to the identity; the factor 8 clears that difference.) The
 * tests check this against RFC 9380 Appendix J.4.1 (curve25519, u and v) and J.5.1
 * (edwards25519).
 *
 * The DST is public, so "keyed" means domain-separated, not secret: it makes H_f(x) for one
 * federation unrelated to H_g(x) for another (and an e-mail unrelated to the same string as a
 * partner id), so blinded sets from two federations cannot be correlated even by a party that
 * took part in both. Anyone who knows x can still compute H_f(x), which is why an unblinded
 * point never leaves a node (psi-cardinality.ts blinds before anything is sent).
 */
import { FpInvertBatch } from '@noble/curves/abstract/modular.js';
import { ed25519, ed25519_hasher } from '@noble/curves/ed25519.js';
import { IdSchema } from '../schemas/common.ts';
import { MATCHING_KEY_KINDS, type MatchingKeyKind } from './normalise-key.ts';
import { pointFault } from './_u-coordinate.ts';

/** Bytes of a PSI point: a curve25519 u-coordinate, little-endian (RFC 7748 §5). */
export const PSI_POINT_BYTES = 32;

/**
 * Version label of the PSI hashing rules. Bump it when normalisation, the group or the encoding
 * of the message changes: old and new points must never compare equal by accident. v1 hashed to
 * ristretto255; v2 hashes to curve25519.
 */
export const PSI_DST_VERSION = 'fedmark-psi-v2';

/** RFC 9380 §8.5 suite ID of hash_to_curve for curve25519; §3.1 recommends it in the DST. */
export const PSI_HASH_SUITE = 'curve25519_XMD:SHA-512_ELL2_RO_';

// RFC 9380 §5.3.3: a DST longer than 255 bytes is silently replaced by its hash. Ours is short
// by construction (prefix + an id of at most 128 characters + a kind + the suite), and we refuse
// rather than rely on that rule so the DST is always what the docs say.
const MAX_DST_BYTES = 255;
const Fp = ed25519.Point.Fp;
const utf8 = new TextEncoder();

/** Refuses a federation id that is not an IdSchema id (it could contain the `|` separator). */
export function _checkFederationId(federationId: string): void {
  if (!IdSchema.safeParse(federationId).success) {
    throw new RangeError('"federationId" expected 1-128 characters of letters, digits, . _ : -');
  }
}

/**
 * `fedmark-psi-v2|<federationId>|<kind>|curve25519_XMD:SHA-512_ELL2_RO_`. The federation id
 * must be an IdSchema id, which cannot contain `|`, so the fields cannot be shifted.
 */
export function psiDomainTag(federationId: string, kind: MatchingKeyKind): string {
  _checkFederationId(federationId);
  if (!(MATCHING_KEY_KINDS as readonly string[]).includes(kind)) {
    throw new RangeError(`"kind" expected one of ${MATCHING_KEY_KINDS.join(', ')}`);
  }
  const dst = `${PSI_DST_VERSION}|${federationId}|${kind}|${PSI_HASH_SUITE}`;
  if (dst.length > MAX_DST_BYTES) throw new RangeError('"dst" longer than 255 bytes');
  return dst;
}

function dstToBytes(dst: string | Uint8Array): Uint8Array {
  const dstBytes = typeof dst === 'string' ? utf8.encode(dst) : dst;
  if (!(dstBytes instanceof Uint8Array) || dstBytes.length === 0) {
    throw new RangeError('"dst" expected 1-255 bytes, got length=0');
  }
  if (dstBytes.length > MAX_DST_BYTES) {
    throw new RangeError(`"dst" expected 1-255 bytes, got length=${dstBytes.length}`);
  }
  return dstBytes;
}

/** edwards25519_XMD:SHA-512_ELL2_RO_ under our DST: the curve25519 point through the map. */
function hashToEdwards(msg: Uint8Array, dst: Uint8Array) {
  if (!(msg instanceof Uint8Array)) throw new TypeError('"msg" expected Uint8Array');
  const p = ed25519_hasher.hashToCurve(msg, { DST: dst });
  // The output is in the prime-order subgroup, so only the identity (y = 1, u at infinity)
  // has no u; hash_to_curve reaches it with probability about 2^-252.
  if (p.is0()) throw new Error('hash_to_curve gave the identity');
  return p;
}

/**
 * hash_to_curve(msg, DST) of curve25519_XMD:SHA-512_ELL2_RO_ (RFC 9380 §3, §8.5), as the
 * 32-byte little-endian u-coordinate. `dst` may be bytes for tags that are not printable ASCII.
 */
export function hashToCurve25519(msg: Uint8Array, dst: string | Uint8Array): Uint8Array {
  const p = hashToEdwards(msg, dstToBytes(dst));
  // u = (1 + y) / (1 - y) with y = Y / Z: (Z + Y) / (Z - Y), one inversion.
  return Fp.toBytes(Fp.div(Fp.add(p.Z, p.Y), Fp.sub(p.Z, p.Y)));
}

// Points converted per batch inversion: one inversion (~60 µs, a tenth of a hash) and three
// multiplications a point instead of an inversion a point (Montgomery's trick, FpInvertBatch).
const BATCH = 256;

/** hashToCurve25519 of every message, packed in order; what the exported hashers call. */
export function _hashAllToCurve25519(
  messages: readonly Uint8Array[],
  dst: string | Uint8Array
): Uint8Array {
  const dstBytes = dstToBytes(dst);
  const out = new Uint8Array(messages.length * PSI_POINT_BYTES);
  for (let start = 0; start < messages.length; start += BATCH) {
    const points = messages.slice(start, start + BATCH).map((m) => hashToEdwards(m, dstBytes));
    const inverses = FpInvertBatch(
      Fp,
      points.map((p) => Fp.sub(p.Z, p.Y))
    );
    points.forEach((p, i) => {
      const u = Fp.mul(Fp.add(p.Z, p.Y), inverses[i] as bigint);
      out.set(Fp.toBytes(u), (start + i) * PSI_POINT_BYTES);
    });
  }
  return out;
}

/** H_{federation,kind}(key): the point of one normalised matching key. */
export function hashMatchingKey(
  federationId: string,
  kind: MatchingKeyKind,
  normalisedKey: string
): Uint8Array {
  return hashToCurve25519(utf8.encode(normalisedKey), psiDomainTag(federationId, kind));
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
  return _hashAllToCurve25519(
    normalisedKeys.map((key) => utf8.encode(key)),
    dst
  );
}

/**
 * True if `bytes` is an acceptable PSI point: a canonical u-coordinate of a curve25519 point
 * (not the twist) that is not of small order (_u-coordinate.ts).
 */
export function isValidPsiPoint(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length !== PSI_POINT_BYTES) return false;
  return pointFault(bytes) === null;
}
