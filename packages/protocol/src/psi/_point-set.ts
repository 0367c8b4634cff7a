/**
 * Internal: packed sets of encoded ristretto255 points and their validation. A PSI message is
 * one buffer of n 32-byte encodings (RFC 9496 §4.3.2), so its size is checked before any
 * point is decoded and a peer cannot make us allocate more than `maxSetSize` points.
 */
import { ristretto255 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ProtocolError } from '../errors.ts';
import { RISTRETTO_POINT_BYTES } from './hash-to-group.ts';
import type { PsiLimits } from './psi-limits.ts';

type RistrettoPoint = InstanceType<typeof ristretto255.Point>;

/** Where a set came from decides the error: our own input is a bug, a peer's is hostile. */
export type SetOrigin = 'own' | 'peer';

function fail(origin: SetOrigin, label: string, message: string, cause?: unknown): never {
  if (origin === 'own') throw new RangeError(`"${label}" ${message}`);
  throw new ProtocolError('BAD_REQUEST', `psi ${label}: ${message}`, cause);
}

/**
 * Decodes a packed set, refusing (before use) a length that is not a multiple of 32, more than
 * `maxSetSize` points, a non-canonical or invalid encoding (RFC 9496 §4.3.1 decode), the
 * identity (it is what a zero exponent or a small-order trick would produce, and it would match
 * every other identity), and duplicates (which would count one customer twice).
 */
export function decodePointSet(
  bytes: Uint8Array,
  where: { origin: SetOrigin; label: string; limits: PsiLimits }
): RistrettoPoint[] {
  const { origin, label, limits } = where;
  if (!(bytes instanceof Uint8Array)) {
    if (origin === 'own') throw new TypeError(`"${label}" expected Uint8Array`);
    fail(origin, label, 'expected bytes');
  }
  if (bytes.length % RISTRETTO_POINT_BYTES !== 0) {
    fail(origin, label, `expected a multiple of 32 bytes, got length=${bytes.length}`);
  }
  const n = bytes.length / RISTRETTO_POINT_BYTES;
  if (n > limits.maxSetSize)
    fail(origin, label, `${n} points exceed the limit ${limits.maxSetSize}`);
  if (origin === 'peer' && n < limits.minSetSize) {
    throw new ProtocolError(
      'POLICY_REFUSED',
      `psi ${label}: ${n} points are fewer than the minimum ${limits.minSetSize}`
    );
  }
  const seen = new Set<string>();
  const points: RistrettoPoint[] = [];
  for (let i = 0; i < n; i++) {
    const enc = bytes.subarray(i * RISTRETTO_POINT_BYTES, (i + 1) * RISTRETTO_POINT_BYTES);
    let p: RistrettoPoint;
    try {
      p = ristretto255.Point.fromBytes(enc);
    } catch (err) {
      fail(origin, label, `point ${i} is not a valid ristretto255 encoding`, err);
    }
    if (p.is0()) fail(origin, label, `point ${i} is the identity`);
    // Encodings are canonical (decode refuses any other), so equal bytes <=> equal points.
    const key = bytesToHex(enc);
    if (seen.has(key)) fail(origin, label, `point ${i} repeats an earlier point`);
    seen.add(key);
    points.push(p);
  }
  return points;
}

/** Packs encoded points into one buffer. */
export function packEncodings(encodings: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(encodings.length * RISTRETTO_POINT_BYTES);
  encodings.forEach((e, i) => {
    out.set(e, i * RISTRETTO_POINT_BYTES);
  });
  return out;
}
