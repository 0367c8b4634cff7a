import {
  KEY_ACK_DOMAIN,
  KEY_BUNDLE_DOMAIN,
  KeyAckSchema,
  KeyBundleSchema,
  ProtocolError,
  ENCRYPTED_OVERHEAD_BYTES,
  MAX_SEAL_BLOB_BYTES,
  SEAL_HEADER_SIZE,
  checkSealBlob,
  fromBase64,
  hexToBytes,
  keyAckSigningPayload,
  keyBundleSigningPayload,
  keyMembersHash,
  sealedDataKeyHashes,
  sha256Hex,
  verifyCanonical,
  type KeyGenerateTask,
  type KeyInstallTask,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { activate, epochToWire } from './epochs.ts';
import type { EpochRecord } from '../store/index.ts';

function epochOr404(ctx: Ctx, keyId: string): EpochRecord {
  const e = ctx.store.keys.get(keyId);
  if (!e) throw new ProtocolError('NOT_FOUND', `no key epoch ${keyId}`);
  return e;
}

function membersExceptGenerator(e: EpochRecord): string[] {
  return e.members.filter((m) => m.name !== e.generator).map((m) => m.name);
}

/**
 * The generator's key bundle: public key, the secret key encrypted once under a data key, and
 * the data key sealed to each other member (docs/federation-protocol.md "Key ceremony"). The
 * coordinator checks the signature, that exactly the other members got a sealed key, that the
 * public key is a well-formed SEAL object and that the encrypted key's size can hold one; it
 * stores the blob and the boxes as opaque bytes and cannot open either.
 */
export function acceptKeyBundle(
  ctx: Ctx,
  node: string,
  keyId: string,
  body: unknown
): { version: 1; epoch: ReturnType<typeof epochToWire> } {
  const bundle = KeyBundleSchema.parse(body);
  if (bundle.keyId !== keyId)
    throw new ProtocolError(
      'BAD_REQUEST',
      `body keyId ${bundle.keyId} does not match the path (${keyId})`
    );
  const epoch = epochOr404(ctx, keyId);
  if (node !== epoch.generator)
    throw new ProtocolError(
      'FORBIDDEN',
      `node ${node} is not the generator of ${keyId} (${epoch.generator} is)`
    );
  if (epoch.state !== 'generating') {
    if (epoch.bundleSignature === bundle.signature)
      return { version: 1, epoch: epochToWire(epoch) };
    throw new ProtocolError(
      'CONFLICT',
      `key epoch ${keyId} is ${epoch.state}; its bundle was already recorded`
    );
  }
  const expected = membersExceptGenerator(epoch).sort();
  const got = Object.keys(bundle.sealedDataKeys).sort();
  if (expected.join('\n') !== got.join('\n')) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `sealed keys must be for exactly [${expected.join(', ')}], got [${got.join(', ')}]`
    );
  }
  // The generator signs the member set it accepted; a different one means it (or an earlier
  // coordinator view) pinned other members, and the other nodes would refuse the bundle anyway.
  if (bundle.membersHash !== keyMembersHash(epoch.members))
    throw new ProtocolError(
      'KEY_MISMATCH',
      `key bundle ${keyId} is for another member set than the epoch's (${epoch.members.map((m) => m.name).join(', ')})`
    );
  const generator = epoch.members.find((m) => m.name === node);
  if (
    !generator ||
    !verifyCanonical(
      KEY_BUNDLE_DOMAIN,
      keyBundleSigningPayload(bundle),
      bundle.signature,
      hexToBytes(generator.signingKey)
    )
  ) {
    throw new ProtocolError('INVALID_SIGNATURE', `key bundle signature of ${node} does not verify`);
  }
  const publicKey = fromBase64(bundle.publicKey, 'publicKey');
  checkSealBlob(publicKey, 'HE public key', 'BAD_REQUEST');
  // secretbox framing around a serialized SEAL secret key (hybrid-seal.ts); each sealed data key
  // is exactly 72 bytes already (SealedDataKeySchema).
  const encryptedSecretKey = fromBase64(bundle.encryptedSecretKey, 'encryptedSecretKey');
  const overhead = ENCRYPTED_OVERHEAD_BYTES;
  if (
    encryptedSecretKey.length < overhead + SEAL_HEADER_SIZE ||
    encryptedSecretKey.length > overhead + MAX_SEAL_BLOB_BYTES
  )
    throw new ProtocolError(
      'BAD_REQUEST',
      `encryptedSecretKey: ${encryptedSecretKey.length} bytes cannot hold a sealed SEAL secret key`
    );
  return ctx.store.transaction(() => {
    const publicKeyHash = sha256Hex(publicKey);
    ctx.store.keys.storeBundle(epoch.seq, {
      publicKey,
      publicKeyHash,
      encryptedSecretKey,
      sealedDataKeys: bundle.sealedDataKeys,
      signature: bundle.signature,
    });
    ctx.store.keys.ack(epoch.seq, node, bundle.signature, ctx.iso());
    if (expected.length === 0) activate(ctx, epoch);
    else ctx.store.keys.setState(epoch.seq, 'installing');
    ctx.log(`key epoch ${keyId}: bundle from ${node} (public key ${publicKeyHash.slice(0, 12)})`);
    return { version: 1 as const, epoch: epochToWire(ctx.store.keys.get(keyId) as EpochRecord) };
  });
}

/** A member confirms it opened its box and installed the key whose public key hash it names. */
export function acceptKeyAck(
  ctx: Ctx,
  node: string,
  keyId: string,
  body: unknown
): { version: 1; epoch: ReturnType<typeof epochToWire> } {
  const ack = KeyAckSchema.parse(body);
  if (ack.keyId !== keyId)
    throw new ProtocolError(
      'BAD_REQUEST',
      `body keyId ${ack.keyId} does not match the path (${keyId})`
    );
  const epoch = epochOr404(ctx, keyId);
  const member = epoch.members.find((m) => m.name === node);
  if (!member || node === epoch.generator)
    throw new ProtocolError('FORBIDDEN', `node ${node} does not install key ${keyId}`);
  if (
    !verifyCanonical(
      KEY_ACK_DOMAIN,
      keyAckSigningPayload(ack),
      ack.signature,
      hexToBytes(member.signingKey)
    )
  ) {
    throw new ProtocolError('INVALID_SIGNATURE', `key ack signature of ${node} does not verify`);
  }
  if (epoch.acked.includes(node)) return { version: 1, epoch: epochToWire(epoch) };
  if (epoch.state !== 'installing')
    throw new ProtocolError('CONFLICT', `key epoch ${keyId} is ${epoch.state}, not installing`);
  if (ack.publicKeyHash !== epoch.publicKeyHash) {
    throw new ProtocolError(
      'KEY_MISMATCH',
      `ack names public key ${ack.publicKeyHash.slice(0, 12)}, epoch ${keyId} has ${String(epoch.publicKeyHash).slice(0, 12)}`
    );
  }
  return ctx.store.transaction(() => {
    ctx.store.keys.ack(epoch.seq, node, ack.signature, ctx.iso());
    const updated = ctx.store.keys.get(keyId) as EpochRecord;
    if (membersExceptGenerator(updated).every((m) => updated.acked.includes(m)))
      activate(ctx, updated);
    return { version: 1 as const, epoch: epochToWire(ctx.store.keys.get(keyId) as EpochRecord) };
  });
}

/** Key tasks for `node`: generate (the generator of a new epoch) or install (everyone else). */
export function keyTasksFor(ctx: Ctx, node: string): (KeyGenerateTask | KeyInstallTask)[] {
  const e = ctx.store.keys.latest();
  if (!e || !e.members.some((m) => m.name === node)) return [];
  const heParams = e.heParams as KeyGenerateTask['heParams'];
  if (e.state === 'generating' && e.generator === node)
    return [{ type: 'key_generate', keyId: e.keyId, heParams, members: e.members }];
  if (
    e.state === 'installing' &&
    e.generator !== node &&
    !e.acked.includes(node) &&
    e.sealedDataKeys &&
    e.encryptedSecretKey &&
    e.publicKey &&
    e.bundleSignature
  ) {
    const sealedDataKey = e.sealedDataKeys[node];
    if (!sealedDataKey) return [];
    // Each member gets its own sealed data key, the one shared blob and the others' hashes
    // (72 bytes each to hash): at 60 nodes, hashing every member's whole sealed secret key on
    // each poll blocked the event loop for seconds (docs/scale.md "Node count").
    return [
      {
        type: 'key_install',
        keyId: e.keyId,
        heParams,
        members: e.members,
        generator: e.generator,
        publicKey: Buffer.from(e.publicKey).toString('base64'),
        encryptedSecretKey: Buffer.from(e.encryptedSecretKey).toString('base64'),
        sealedDataKey,
        sealedDataKeyHashes: sealedDataKeyHashes(e.sealedDataKeys),
        bundleSignature: e.bundleSignature,
      },
    ];
  }
  return [];
}
