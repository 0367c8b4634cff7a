/**
 * Internal: packed sets of PSI points, their validation and their blinding. A PSI message is one
 * buffer of n 32-byte u-coordinates, so its size is checked before any point is read and a peer
 * cannot make us allocate more than `maxSetSize` points.
 */
import type { KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.ts';
import { PSI_POINT_BYTES } from './hash-to-group.ts';
import type { PsiLimits } from './psi-limits.ts';
import { type PointFault, pointFault } from './_u-coordinate.ts';
import { x25519 } from './_x25519.ts';

/** Where a set came from decides the error: our own input is a bug, a peer's is hostile. */
export type SetOrigin = 'own' | 'peer';

type Where = { origin: SetOrigin; label: string };

function fail(where: Where, message: string, cause?: unknown): never {
  if (where.origin === 'own') throw new RangeError(`"${where.label}" ${message}`);
  throw new ProtocolError('BAD_REQUEST', `psi ${where.label}: ${message}`, cause);
}

const FAULT_MESSAGES: Record<PointFault, string> = {
  non_canonical: 'is not a canonical u-coordinate',
  small_order: 'has small order',
  twist: 'is not on curve25519 (it is on the twist)',
};

/** A compact, exact Set key for one point: its 32 bytes as a Latin-1 string. */
function pointKey(bytes: Uint8Array, offset: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, PSI_POINT_BYTES).toString('latin1');
}

/**
 * Checks a packed set before use and returns its points' keys (a Set, so its size is the number
 * of points). Refused: a length that is not a multiple of 32, more than `maxSetSize` points, a
 * peer set below `minSetSize` (POLICY_REFUSED), a point that _u-coordinate.ts refuses
 * (non-canonical, small order, twist), and a repeated point (it would count one customer twice).
 */
export function checkPointSet(
  bytes: Uint8Array,
  where: Where & { limits: PsiLimits }
): Set<string> {
  const { origin, label, limits } = where;
  if (!(bytes instanceof Uint8Array)) {
    if (origin === 'own') throw new TypeError(`"${label}" expected Uint8Array`);
    fail(where, 'expected bytes');
  }
  if (bytes.length % PSI_POINT_BYTES !== 0) {
    fail(where, `expected a multiple of 32 bytes, got length=${bytes.length}`);
  }
  const n = bytes.length / PSI_POINT_BYTES;
  if (n > limits.maxSetSize) fail(where, `${n} points exceed the limit ${limits.maxSetSize}`);
  if (origin === 'peer' && n < limits.minSetSize) {
    throw new ProtocolError(
      'POLICY_REFUSED',
      `psi ${label}: ${n} points are fewer than the minimum ${limits.minSetSize}`
    );
  }
  const keys = new Set<string>();
  for (let i = 0; i < n; i++) {
    const offset = i * PSI_POINT_BYTES;
    const fault = pointFault(bytes.subarray(offset, offset + PSI_POINT_BYTES));
    if (fault !== null) fail(where, `point ${i} ${FAULT_MESSAGES[fault]}`);
    // Encodings are canonical (checked just above), so equal bytes <=> equal u-coordinates.
    const key = pointKey(bytes, offset);
    if (keys.has(key)) fail(where, `point ${i} repeats an earlier point`);
    keys.add(key);
  }
  return keys;
}

/**
 * X25519(key, P) for every point of a checked set, packed in input order. Two distinct valid
 * u-coordinates give the same result exactly when their points differ by a small-order
 * component, which clamping multiplies away; an honest party's points, distinct and all in the
 * prime-order subgroup, never do. Such a pair would let a peer count one element twice, so it is
 * refused like a duplicate.
 */
export function blindPointSet(bytes: Uint8Array, key: KeyObject, where: Where): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const seen = new Set<string>();
  for (let offset = 0, i = 0; offset < bytes.length; offset += PSI_POINT_BYTES, i++) {
    let blinded: Buffer;
    try {
      blinded = x25519(key, bytes.subarray(offset, offset + PSI_POINT_BYTES));
    } catch (err) {
      // OpenSSL refuses an all-zero result: only a small-order point gives one, and
      // checkPointSet has refused those already, so this is the second line of defence.
      fail(where, `point ${i} has small order`, err);
    }
    out.set(blinded, offset);
    const k = pointKey(out, offset);
    if (seen.has(k)) {
      fail(where, `point ${i} equals an earlier point once blinded (a small-order variant)`);
    }
    seen.add(k);
  }
  return out;
}
