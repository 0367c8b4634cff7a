import {
  KEY_BUNDLE_DOMAIN,
  ProtocolError,
  fromBase64,
  hexToBytes,
  hybridOpen,
  hybridSeal,
  keyBundleHashesPayload,
  keyBundleSigningPayload,
  keyMembersHash,
  sha256Hex,
  signCanonical,
  toBase64,
  verifyCanonical,
  type KeyBundle,
  type KeyInstallTask,
  type Member,
} from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/index.ts';

/**
 * The key bundle's crypto on the node (docs/federation-protocol.md "Key ceremony"): the generator
 * seals the epoch's secret key once and boxes only the data key to each member (hybrid-seal.ts in
 * protocol); a member verifies the generator's signature over what it was sent and opens its own
 * entry. Task handling (acceptance, storage, the ledger, acks) stays in key-ceremony.ts.
 */

/**
 * The signed bundle the generator posts. `members` is the set this node accepted, itself
 * included: the data key goes to every other member, and the signature covers that set's hash.
 */
export function sealKeyBundle(
  identity: NodeIdentity,
  e: { keyId: string; members: readonly Member[]; publicKey: Uint8Array; secretKey: Uint8Array }
): KeyBundle {
  const recipients = e.members
    .filter((m) => m.name !== identity.name)
    .map((m) => ({ name: m.name, boxKey: hexToBytes(m.boxKey) }));
  const sealed = hybridSeal(e.secretKey, recipients, identity.box.secretKey);
  const body = {
    keyId: e.keyId,
    publicKey: toBase64(e.publicKey),
    encryptedSecretKey: toBase64(sealed.encrypted),
    sealedDataKeys: Object.fromEntries(
      Object.entries(sealed.sealedKeys).map(([name, box]) => [name, toBase64(box)])
    ),
    membersHash: keyMembersHash(e.members),
  };
  const signature = signCanonical(
    KEY_BUNDLE_DOMAIN,
    keyBundleSigningPayload(body),
    identity.signing.secretKey
  );
  return { version: 2, ...body, signature };
}

/**
 * Member side: checks the generator's bundle signature over what this node received (the public
 * key and encrypted secret key it hashes itself, the other members' sealed-key hashes, and the
 * members hash of its own pinned set), that the data key went to exactly the accepted members
 * other than the generator, and that its own sealed key is the one signed; then opens it. The
 * caller MUST still check that the secret key decrypts what the public key encrypts, and MUST
 * zero the returned secret key.
 */
export function openKeyInstall(
  identity: NodeIdentity,
  task: KeyInstallTask,
  members: readonly Member[],
  generator: Member
): { publicKey: Uint8Array; publicKeyHash: string; secretKey: Uint8Array } {
  const publicKey = fromBase64(task.publicKey, 'publicKey');
  const encrypted = fromBase64(task.encryptedSecretKey, 'encryptedSecretKey');
  const sealedKey = fromBase64(task.sealedDataKey, 'sealedDataKey');
  const publicKeyHash = sha256Hex(publicKey);
  // The members hash is this node's own pinned set: a generator that sealed to other members
  // (or a coordinator that showed it other members) does not verify.
  const payload = keyBundleHashesPayload({
    keyId: task.keyId,
    publicKeyHash,
    encryptedSecretKeyHash: sha256Hex(encrypted),
    sealedDataKeyHashes: task.sealedDataKeyHashes,
    membersHash: keyMembersHash(members),
  });
  if (
    !verifyCanonical(
      KEY_BUNDLE_DOMAIN,
      payload,
      task.bundleSignature,
      hexToBytes(generator.signingKey)
    )
  ) {
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `key bundle ${task.keyId} is not signed by its generator ${generator.name} for the members this node accepted`
    );
  }
  const expected = members
    .filter((m) => m.name !== generator.name)
    .map((m) => m.name)
    .sort();
  const got = Object.keys(task.sealedDataKeyHashes).sort();
  if (got.join('\n') !== expected.join('\n'))
    throw new ProtocolError(
      'KEY_MISMATCH',
      `key bundle ${task.keyId} is sealed to [${got.join(', ')}], not the accepted members [${expected.join(', ')}]`
    );
  if (task.sealedDataKeyHashes[identity.name] !== sha256Hex(sealedKey))
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `sealed data key for ${identity.name} is not the one the generator signed`
    );
  try {
    const secretKey = hybridOpen(
      encrypted,
      sealedKey,
      hexToBytes(generator.boxKey),
      identity.box.secretKey
    );
    return { publicKey, publicKeyHash, secretKey };
  } catch {
    // Signed by the generator, yet its box or blob does not open for us: the generator (not
    // the coordinator, whose changes the signature catches) sealed something else.
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `sealed key for epoch ${task.keyId} does not open with generator ${generator.name}'s box key`
    );
  }
}
