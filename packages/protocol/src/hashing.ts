import { hash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { canonicalBytes, type Canonical } from './encoding.ts';

export { bytesToHex, hexToBytes, randomBytes };

/**
 * SHA-256 (FIPS 180-4) through node:crypto (OpenSSL). The large inputs hashed on every job (a
 * 270 KB HE secret key found in SEAL's key cache on each encrypt and decrypt, 216 KB ciphertexts,
 * 290 KB request bodies for their signatures) took 4.68 ms each with @noble/hashes and take
 * 0.22 ms here (measured on this machine); the digests are the same (hashing.test.ts, with the
 * FIPS test vectors). HMAC and HKDF keep @noble/hashes' own SHA-256 object, which they need.
 */
export function sha256(data: Uint8Array): Uint8Array {
  // The one-shot crypto.hash (Node >= 20.12) skips the Hash object createHash builds per call,
  // which is most of the cost of the short inputs of Merkle trees (merkle/hash.ts).
  const d = hash('sha256', data, 'buffer');
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
}

/** SHA-256 of the canonical encoding of `value` in `domain`, hex. */
export function canonicalHash(domain: string, value: Canonical): string {
  return bytesToHex(sha256(canonicalBytes(domain, value)));
}

export function sha256Hex(data: Uint8Array | string): string {
  return bytesToHex(sha256(typeof data === 'string' ? new TextEncoder().encode(data) : data));
}

export function hmacSha256(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return hmac(nobleSha256, key, typeof data === 'string' ? new TextEncoder().encode(data) : data);
}

/** RFC 5869 HKDF-SHA256. */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: string,
  length: number
): Uint8Array {
  return hkdf(nobleSha256, ikm, salt, new TextEncoder().encode(info), length);
}

/** Constant-time comparison: the loop runs over every byte whatever the first difference. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(text: string, label = 'value'): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new TypeError(`"${label}" expected base64, got ${JSON.stringify(text.slice(0, 16))}`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}
