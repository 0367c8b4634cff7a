import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 (RFC 8032) signing and verification through node:crypto (OpenSSL): every request and
 * message is signed or verified, and OpenSSL does it about 100 times faster than tweetnacl
 * (bench/signing.bench.ts). Ed25519 is deterministic, so the signatures are byte for byte those
 * tweetnacl made, and the frozen vectors still hold. Keys keep tweetnacl's raw form: a 32-byte
 * public key, a 64-byte secret key (seed || public key).
 */

/** DER prefixes that wrap a raw key as PKCS#8 / SPKI (RFC 8410 §7 and §4). */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

function der(prefix: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.alloc(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out;
}

/**
 * Private KeyObjects by secret-key array, with the public half they were made from: a caller that
 * rewrote the array (or zeroed it) gets a fresh KeyObject, never a stale one. The DER copy of the
 * seed is zeroed as soon as OpenSSL has it.
 */
const privateKeys = new WeakMap<Uint8Array, { key: KeyObject; publicHalf: Uint8Array }>();

function privateKeyOf(secretKey: Uint8Array): KeyObject {
  const publicHalf = secretKey.subarray(32, 64);
  const cached = privateKeys.get(secretKey);
  if (cached && Buffer.compare(cached.publicHalf, publicHalf) === 0) return cached.key;
  const encoded = der(PKCS8_ED25519_PREFIX, secretKey.subarray(0, 32));
  const key = createPrivateKey({ key: encoded, format: 'der', type: 'pkcs8' });
  encoded.fill(0);
  privateKeys.set(secretKey, { key, publicHalf: Uint8Array.from(publicHalf) });
  return key;
}

/** Public KeyObjects by key hex, bounded: a federation has few keys, a flood of forged ones must not grow it. */
const publicKeys = new Map<string, KeyObject>();
const MAX_PUBLIC_KEYS = 4096;

function publicKeyOf(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('hex');
  let key = publicKeys.get(id);
  if (!key) {
    key = createPublicKey({
      key: der(SPKI_ED25519_PREFIX, publicKey),
      format: 'der',
      type: 'spki',
    });
    if (publicKeys.size >= MAX_PUBLIC_KEYS) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
}

/** The 64-byte Ed25519 signature of `message` under a 64-byte secret key. */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 64)
    throw new RangeError(
      `"secretKey" expected Uint8Array of length 64, got length=${secretKey.length}`
    );
  return new Uint8Array(sign(null, message, privateKeyOf(secretKey)));
}

/** True iff `signature` is a valid Ed25519 signature of `message` under `publicKey`; false for malformed input. */
export function ed25519Verify(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return verify(null, message, publicKeyOf(publicKey), signature);
  } catch {
    // OpenSSL refuses some encodings (e.g. a public key that is not a curve point) by throwing.
    return false;
  }
}
