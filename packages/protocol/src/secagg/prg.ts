import { createCipheriv } from 'node:crypto';

/**
 * The pseudo-random generator that expands a 32-byte mask seed into a vector of field elements
 * (docs/secure-aggregation.md "Masks"). The stream is ChaCha20 (RFC 8439 §2.4) from node:crypto
 * (OpenSSL): a standard, fast PRG; nothing here is home-made but the rejection sampling.
 */

/** ChaCha20's 32-byte key and 12-byte nonce (RFC 8439 §2.3). */
const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/**
 * The ChaCha20 keystream for `key` and `nonce` from block `counter` on, `length` bytes.
 * OpenSSL's IV is the 4-byte little-endian block counter followed by the 12-byte nonce.
 */
export function chacha20Keystream(
  key: Uint8Array,
  nonce: Uint8Array,
  counter: number,
  length: number
): Uint8Array {
  const cipher = keystreamCipher(key, nonce, counter);
  return new Uint8Array(cipher.update(new Uint8Array(length)));
}

function keystreamCipher(key: Uint8Array, nonce: Uint8Array, counter: number) {
  if (key.length !== KEY_BYTES)
    throw new RangeError(`"key" expected ${KEY_BYTES} bytes, got length=${key.length}`);
  if (nonce.length !== NONCE_BYTES)
    throw new RangeError(`"nonce" expected ${NONCE_BYTES} bytes, got length=${nonce.length}`);
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff)
    throw new RangeError(`"counter" expected a 32-bit block counter, got ${counter}`);
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setUint32(0, counter, true);
  iv.set(nonce, 4);
  return createCipheriv('chacha20', key, iv);
}

/**
 * `length` elements uniform in [0, modulus), expanded from `seed` (32 bytes, used once: callers
 * derive a fresh seed per job, round and purpose with HKDF, so the nonce is all zero).
 * Each element reads 8 little-endian keystream bytes and keeps the low bitLength(modulus) bits;
 * a value >= modulus is rejected and the next word read (rejection sampling, so the result is
 * exactly uniform; with a prime just under a power of two, as BFV's batching primes are, almost
 * nothing is rejected).
 */
export function expandMask(seed: Uint8Array, length: number, modulus: bigint): bigint[] {
  if (modulus < 2n || modulus >= 1n << 64n)
    throw new RangeError(`"modulus" expected 2 <= modulus < 2^64, got ${modulus}`);
  if (!Number.isInteger(length) || length < 0)
    throw new RangeError(`"length" expected a whole number, got ${length}`);
  const bits = BigInt(modulus.toString(2).length);
  const keep = (1n << bits) - 1n;
  const cipher = keystreamCipher(seed, new Uint8Array(NONCE_BYTES), 0);
  const out: bigint[] = new Array(length);
  let filled = 0;
  while (filled < length) {
    // A little over what is needed; the stream simply continues if rejections ask for more.
    const words = Math.max(16, Math.ceil((length - filled) * 1.05));
    const block = cipher.update(new Uint8Array(words * 8));
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    for (let w = 0; w < words && filled < length; w++) {
      const v = view.getBigUint64(w * 8, true) & keep;
      if (v < modulus) out[filled++] = v;
    }
  }
  return out;
}
