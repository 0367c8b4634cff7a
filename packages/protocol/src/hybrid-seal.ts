import nacl from 'tweetnacl';
import { openBox, openSealed, sealBox, sealedWith } from './signing.ts';

/**
 * One large secret for many recipients (docs/federation-protocol.md "Key ceremony"): the
 * standard KEM/DEM composition out of tweetnacl's two audited constructions, nothing new. The
 * secret is encrypted once with `secretbox` (XSalsa20-Poly1305) under a fresh random 32-byte data
 * key, and only that data key is sealed to each recipient with the authenticated `box` (X25519 +
 * XSalsa20-Poly1305) from the sender's box key. The encrypted secret is the same for everyone;
 * each recipient adds 72 bytes instead of a whole copy.
 *
 * Binding the blob and the sealed keys to a context (epoch, member set) is the caller's job: the
 * key bundle signs their hashes (schemas/key-bundle.ts). Poly1305 is not key-committing, so a
 * malicious sender could craft one blob that opens to different secrets under different data
 * keys; the sender here chooses the secret anyway, and each recipient checks what it opened
 * (the key ceremony: the secret key must decrypt what the public key encrypts).
 */

/** nacl.secretbox.keyLength: a data key is a whole XSalsa20 key. */
export const DATA_KEY_BYTES = 32;
/** sealBox framing of a data key: 24-byte nonce, 16-byte Poly1305 tag, the 32-byte key. */
export const SEALED_DATA_KEY_BYTES = 24 + 16 + DATA_KEY_BYTES;
/** secretbox framing around the secret: 24-byte nonce, 16-byte Poly1305 tag. */
export const ENCRYPTED_OVERHEAD_BYTES = 24 + 16;

export interface HybridSealed {
  /** nonce || secretbox(secret, nonce, dataKey): the one copy of the secret. */
  encrypted: Uint8Array;
  /** recipient name -> nonce || box(dataKey) to that recipient from the sender. */
  sealedKeys: Record<string, Uint8Array>;
}

export function hybridSeal(
  secret: Uint8Array,
  recipients: readonly { name: string; boxKey: Uint8Array }[],
  senderSecretKey: Uint8Array
): HybridSealed {
  const dataKey = nacl.randomBytes(DATA_KEY_BYTES);
  try {
    // The key is used for this one message, so a random nonce (as sealedWith draws) is ample.
    const encrypted = sealedWith((nonce) => nacl.secretbox(secret, nonce, dataKey));
    const sealedKeys: Record<string, Uint8Array> = {};
    for (const r of recipients) sealedKeys[r.name] = sealBox(dataKey, r.boxKey, senderSecretKey);
    return { encrypted, sealedKeys };
  } finally {
    dataKey.fill(0); // the data key exists only inside the boxes from here on
  }
}

/**
 * Opens the recipient's sealed data key (authenticated: only the sender's box key opens it), then
 * the shared blob. Sizes are checked before any use; any forgery or truncation throws.
 */
export function hybridOpen(
  encrypted: Uint8Array,
  sealedKey: Uint8Array,
  senderPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array
): Uint8Array {
  if (sealedKey.length !== SEALED_DATA_KEY_BYTES)
    throw new RangeError(
      `"sealedKey" expected Uint8Array of length ${SEALED_DATA_KEY_BYTES}, got length=${sealedKey.length}`
    );
  if (encrypted.length <= ENCRYPTED_OVERHEAD_BYTES)
    throw new RangeError(
      `"encrypted" expected more than ${ENCRYPTED_OVERHEAD_BYTES} bytes, got length=${encrypted.length}`
    );
  const dataKey = openBox(sealedKey, senderPublicKey, recipientSecretKey);
  try {
    if (dataKey.length !== DATA_KEY_BYTES)
      throw new RangeError(
        `data key expected length ${DATA_KEY_BYTES}, got length=${dataKey.length}`
      );
    return openSealed(encrypted, (box, nonce) => nacl.secretbox.open(box, nonce, dataKey));
  } finally {
    dataKey.fill(0);
  }
}
