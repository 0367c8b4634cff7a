import nacl from 'tweetnacl';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';
import { canonicalBytes, type Canonical } from './encoding.ts';
import { bytesToHex, hexToBytes } from './hashing.ts';

/**
 * Ed25519 signing identity (RFC 8032; keys made by tweetnacl, signing and verifying through
 * node:crypto, ed25519.ts). Secret key is 64 bytes (seed || public).
 */
export interface SigningKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** X25519 box identity (tweetnacl box = X25519 + XSalsa20-Poly1305). */
export interface BoxKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function generateSigningKeyPair(): SigningKeyPair {
  return nacl.sign.keyPair();
}

export function signingKeyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  if (seed.length !== 32)
    throw new RangeError(`"seed" expected Uint8Array of length 32, got length=${seed.length}`);
  return nacl.sign.keyPair.fromSeed(seed);
}

export function generateBoxKeyPair(): BoxKeyPair {
  return nacl.box.keyPair();
}

/** Signs the canonical bytes of `value` in `domain`; returns the 64-byte signature as hex. */
export function signCanonical(domain: string, value: Canonical, secretKey: Uint8Array): string {
  if (secretKey.length !== 64) {
    throw new RangeError(
      `"secretKey" expected Uint8Array of length 64, got length=${secretKey.length}`
    );
  }
  return bytesToHex(ed25519Sign(canonicalBytes(domain, value), secretKey));
}

/** Verification returns false for any malformed input rather than throwing: callers treat it as forged. */
export function verifyCanonical(
  domain: string,
  value: Canonical,
  signatureHex: string,
  publicKey: Uint8Array
): boolean {
  try {
    if (!/^[0-9a-f]{128}$/.test(signatureHex) || publicKey.length !== 32) return false;
    return ed25519Verify(canonicalBytes(domain, value), hexToBytes(signatureHex), publicKey);
  } catch {
    return false;
  }
}

/** Seals `message` to `recipientPublicKey` from `senderSecretKey` (authenticated). Output = nonce || box. */
export function sealBox(
  message: Uint8Array,
  recipientPublicKey: Uint8Array,
  senderSecretKey: Uint8Array
): Uint8Array {
  return sealedWith((nonce) => nacl.box(message, nonce, recipientPublicKey, senderSecretKey));
}

/** nonce || box for a fresh random nonce: the one framing of every sealed box (sealBox, share boxes). */
export function sealedWith(box: (nonce: Uint8Array) => Uint8Array): Uint8Array {
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const sealed = box(nonce);
  const out = new Uint8Array(nonce.length + sealed.length);
  out.set(nonce);
  out.set(sealed, nonce.length);
  return out;
}

/** Opens nonce || box with `open` (nacl.box.open or .after); throws on forgery or truncation. */
export function openSealed(
  sealed: Uint8Array,
  open: (box: Uint8Array, nonce: Uint8Array) => Uint8Array | null
): Uint8Array {
  if (sealed.length < nacl.box.nonceLength + nacl.box.overheadLength)
    throw new RangeError('"sealed" is truncated');
  const opened = open(
    sealed.subarray(nacl.box.nonceLength),
    sealed.subarray(0, nacl.box.nonceLength)
  );
  if (!opened) throw new Error('sealed box failed authentication');
  return opened;
}

/** Opens a sealBox output; throws on forgery or truncation. */
export function openBox(
  sealed: Uint8Array,
  senderPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array
): Uint8Array {
  return openSealed(sealed, (box, nonce) =>
    nacl.box.open(box, nonce, senderPublicKey, recipientSecretKey)
  );
}
