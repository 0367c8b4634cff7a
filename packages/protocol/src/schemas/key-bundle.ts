import { z } from 'zod';
import { Base64Schema, KeyIdSchema, SignatureHexSchema } from './wire-primitives.ts';
import { Hash256Schema, IdSchema } from './common.ts';
import { fromBase64, sha256Hex } from '../hashing.ts';
import type { Canonical } from '../encoding.ts';

/**
 * The key generator's bundle (docs/federation-protocol.md "Key ceremony"): the epoch's public
 * key, its secret key encrypted once under a fresh data key (hybrid-seal.ts), and that data key
 * sealed to each other member. Version 2: version 1 boxed the whole secret key to every member
 * (about 361 KB of base64 each, 36 MB at 100 nodes, over the coordinator's body limit).
 */

/**
 * The signature's domain. New with version 2, so no signature over a version 1 payload
 * (`{keyId, publicKeyHash, sealedHashes, membersHash}`) can ever verify as a version 2 bundle.
 */
export const KEY_BUNDLE_DOMAIN = 'key-bundle-v2';

/**
 * A sealed data key on the wire: exactly 72 bytes (hybrid-seal.ts SEALED_DATA_KEY_BYTES), which
 * is 96 base64 characters without padding. Any other size is refused by the schema, before use.
 */
export const SealedDataKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{96}$/, 'expected a sealed data key: 72 bytes as 96 base64 characters');

export const KeyBundleSchema = z.object({
  version: z.literal(2),
  keyId: KeyIdSchema,
  publicKey: Base64Schema,
  /** nonce || secretbox(serialized secret key) under the data key: one copy for all members. */
  encryptedSecretKey: Base64Schema,
  /** member -> nonce || box(data key) from the generator's box key to that member's. */
  sealedDataKeys: z.record(IdSchema, SealedDataKeySchema),
  /**
   * `keyMembersHash` of the member set the generator accepted and sealed to: signed, so every
   * installing node can check that the generator pinned the same members it did.
   */
  membersHash: Hash256Schema,
  signature: SignatureHexSchema,
});
export type KeyBundle = z.infer<typeof KeyBundleSchema>;

/** The hashes a bundle signature covers; what an installing member rebuilds from its task. */
export interface KeyBundleHashes {
  keyId: string;
  publicKeyHash: string;
  encryptedSecretKeyHash: string;
  sealedDataKeyHashes: Record<string, string>;
  membersHash: string;
}

/**
 * The signed value, from hashes. A member holds only its own sealed data key and the hashes of
 * the others', so both sides build the payload here and sign or verify the same bytes.
 */
export function keyBundleHashesPayload(h: KeyBundleHashes): Canonical {
  return {
    keyId: h.keyId,
    publicKeyHash: h.publicKeyHash,
    encryptedSecretKeyHash: h.encryptedSecretKeyHash,
    sealedDataKeyHashes: { ...h.sealedDataKeyHashes },
    membersHash: h.membersHash,
  };
}

/** SHA-256 of each decoded sealed data key, by member: what the install task carries. */
export function sealedDataKeyHashes(
  sealed: Readonly<Record<string, string>>
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [member, blob] of Object.entries(sealed))
    out[member] = sha256Hex(fromBase64(blob, `sealedDataKeys.${member}`));
  return out;
}

/** The signed value of a whole bundle: hashes of the decoded blobs, not the blobs. */
export function keyBundleSigningPayload(
  b: Pick<
    KeyBundle,
    'keyId' | 'publicKey' | 'encryptedSecretKey' | 'sealedDataKeys' | 'membersHash'
  >
): Canonical {
  return keyBundleHashesPayload({
    keyId: b.keyId,
    publicKeyHash: sha256Hex(fromBase64(b.publicKey, 'publicKey')),
    encryptedSecretKeyHash: sha256Hex(fromBase64(b.encryptedSecretKey, 'encryptedSecretKey')),
    sealedDataKeyHashes: sealedDataKeyHashes(b.sealedDataKeys),
    membersHash: b.membersHash,
  });
}
