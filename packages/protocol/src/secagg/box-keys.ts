import nacl from 'tweetnacl';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../hashing.ts';
import { openSealed, sealedWith } from '../signing.ts';

/**
 * Share boxes between two nodes' long-term box keys (docs/secure-aggregation.md "Shares"). Every
 * round boxes n shares and opens n, each an X25519 agreement (about 0.9 ms in tweetnacl here, and
 * no faster through node:crypto once key objects are built), with the same pair of long-term
 * keys every round. So the agreement (`nacl.box.before`) is kept per key pair in this process and
 * each box is only XSalsa20-Poly1305 (`nacl.box.after`): the bytes are exactly those of
 * `sealBox` / `openBox` (signing.ts), which the tests check.
 */
const MAX_ENTRIES = 4096;
const shared = new Map<string, Uint8Array>();

function sharedKey(theirPublicKey: Uint8Array, mySecretKey: Uint8Array): Uint8Array {
  // Keyed by a hash, so no secret key sits in the map's keys.
  const id = bytesToHex(sha256(new Uint8Array([...mySecretKey, ...theirPublicKey])));
  let k = shared.get(id);
  if (!k) {
    if (shared.size >= MAX_ENTRIES) shared.clear();
    k = nacl.box.before(theirPublicKey, mySecretKey);
    shared.set(id, k);
  }
  return k;
}

/** `sealBox(message, recipientPublicKey, senderSecretKey)` with the agreement cached. */
export function sealShareBox(
  message: Uint8Array,
  recipientPublicKey: Uint8Array,
  senderSecretKey: Uint8Array
): Uint8Array {
  const key = sharedKey(recipientPublicKey, senderSecretKey);
  return sealedWith((nonce) => nacl.box.after(message, nonce, key));
}

/** `openBox(sealed, senderPublicKey, recipientSecretKey)` with the agreement cached; throws on forgery. */
export function openShareBox(
  sealed: Uint8Array,
  senderPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array
): Uint8Array {
  const key = sharedKey(senderPublicKey, recipientSecretKey);
  return openSealed(sealed, (box, nonce) => nacl.box.open.after(box, nonce, key));
}
