// node:crypto's SHA-256 (hashing.ts): a ledger's tree hashes one leaf and one node per entry,
// and the noble implementation was several times slower for these 33- and 65-byte inputs.
import { sha256 } from '../hashing.ts';

/** Every RFC 6962 hash is SHA-256, so leaf hashes, node hashes and roots are all 32 bytes. */
export const MERKLE_HASH_BYTES = 32;

/** RFC 6962 §2.1: the root of the empty tree is SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

// RFC 6962 §2.1 prefixes leaves with 0x00 and interior nodes with 0x01, so no leaf input can
// collide with an interior node (second-preimage protection, RFC 6962 §2.1 and RFC 9162 §2.1.1).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** Throws a labelled TypeError/RangeError unless `value` is a 32-byte Uint8Array. */
export function assertHash(value: unknown, label: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`"${label}" expected Uint8Array, got ${typeof value}`);
  }
  if (value.length !== MERKLE_HASH_BYTES) {
    const want = MERKLE_HASH_BYTES;
    throw new RangeError(
      `"${label}" expected Uint8Array of length ${want}, got length=${value.length}`
    );
  }
}

/** True when `value` is a 32-byte Uint8Array; verifiers use it to refuse without throwing. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === MERKLE_HASH_BYTES;
}

/** RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array))
    throw new TypeError(`"data" expected Uint8Array, got ${typeof data}`);
  const buf = new Uint8Array(1 + data.length);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

/** RFC 6962 §2.1: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHash(left, 'left');
  assertHash(right, 'right');
  const buf = new Uint8Array(1 + 2 * MERKLE_HASH_BYTES);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + MERKLE_HASH_BYTES);
  return sha256(buf);
}

/**
 * RFC 6962 §2.1: k is the largest power of two smaller than n (n >= 2). Uses division rather
 * than 32-bit shifts so sizes up to Number.MAX_SAFE_INTEGER stay exact.
 */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True for 1, 2, 4, 8, ... (exact for safe integers). */
export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** Throws a labelled RangeError unless `value` is a safe integer >= `min`. */
export function assertSize(value: unknown, label: string, min = 0): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`"${label}" expected a safe integer >= ${min}, got ${String(value)}`);
  }
}
