/**
 * Internal: which 32 bytes are acceptable as a PSI point (docs/psi.md "The protocol"). A point is
 * the little-endian u-coordinate of a curve25519 point (RFC 7748 §5), and it must be:
 *
 * - canonical: below p = 2^255 - 19 with the top bit clear. RFC 7748 §5 tells an X25519
 *   receiver to mask the top bit and to accept u >= p, and OpenSSL does both, so without this
 *   rule one point would have up to four encodings and a repeated point would pass the
 *   duplicate check as "different bytes". An honest party never sends one: X25519 outputs are
 *   reduced and below 2^255.
 * - not of small order: the u-coordinates of curve25519's points of order 2, 4 and 8, and the
 *   twist's point of order 4 (the list libsodium refuses). X25519 maps them to the all-zero
 *   value, which would match every other small-order point.
 * - on the curve, not on its quadratic twist: u^3 + A·u^2 + u must be a non-zero square mod p.
 *   X25519 computes with a twist point as readily as with a curve point, and the twist is a
 *   different group from the one the DDH argument is made in.
 *
 * Everything here runs on public values (a peer's message), so nothing needs to be constant-time.
 */
import { bytesToNumberLE } from '@noble/curves/utils.js';

/** RFC 7748 §4.1: curve25519 is v^2 = u^3 + A·u^2 + u over GF(p), p = 2^255 - 19, A = 486662. */
export const P25519 = 2n ** 255n - 19n;
const A = 486662n;

/** Why a point was refused; each becomes one refusal message in _point-set.ts. */
export type PointFault = 'non_canonical' | 'small_order' | 'twist';

/**
 * u-coordinates below p of the points of small order on curve25519 and its twist (libsodium's
 * `has_small_order` list, crypto_scalarmult/curve25519/ref10/x25519_ref10.c, without its
 * entries >= p, which the canonical rule already refuses). hash-to-group.test.ts derives the
 * curve's entries from the edwards25519 torsion points.
 */
export const SMALL_ORDER_U: ReadonlySet<bigint> = new Set([
  0n, // order 2 (and, by X25519's convention, the point at infinity)
  1n, // order 4
  // order 8 (the two u-coordinates of the four points of order 8)
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
  P25519 - 1n, // order 4 on the twist
]);

/**
 * The Jacobi symbol (a/n) for odd n > 0, by the binary algorithm with quadratic reciprocity
 * (Cohen, "A Course in Computational Algebraic Number Theory", Algorithm 1.4.10). For a prime n
 * it is the Legendre symbol. We use it instead of @noble's FpLegendre (Euler's criterion, one
 * 255-bit exponentiation) because it is about 10 times faster on this machine (21 µs against
 * 210 µs, more than the X25519 it guards); hash-to-group.test.ts checks that the two agree.
 */
export function jacobiSymbol(a: bigint, n: bigint): -1 | 0 | 1 {
  if (n <= 0n || (n & 1n) === 0n) throw new RangeError('"n" expected an odd positive integer');
  let x = ((a % n) + n) % n;
  let m = n;
  let t: -1 | 1 = 1;
  while (x !== 0n) {
    while ((x & 1n) === 0n) {
      x >>= 1n;
      const r = m & 7n; // (2/m) = -1 exactly when m = 3 or 5 (mod 8)
      if (r === 3n || r === 5n) t = t === 1 ? -1 : 1;
    }
    const swap = x;
    x = m;
    m = swap;
    // Reciprocity: (x/m) = -(m/x) exactly when both are 3 (mod 4).
    if ((x & 3n) === 3n && (m & 3n) === 3n) t = t === 1 ? -1 : 1;
    x %= m;
  }
  return m === 1n ? t : 0;
}

/** True if u (already reduced mod p) is the u-coordinate of a point on curve25519 itself. */
export function isOnCurve25519(u: bigint): boolean {
  const v = (u * (((u * (u + A)) % P25519) + 1n)) % P25519; // u^3 + A·u^2 + u
  return jacobiSymbol(v, P25519) === 1;
}

/** The reason 32 bytes are not an acceptable PSI point, or null if they are. */
export function pointFault(u32: Uint8Array): PointFault | null {
  if (((u32[31] as number) & 0x80) !== 0) return 'non_canonical';
  const u = bytesToNumberLE(u32);
  if (u >= P25519) return 'non_canonical';
  if (SMALL_ORDER_U.has(u)) return 'small_order';
  if (!isOnCurve25519(u)) return 'twist';
  return null;
}
