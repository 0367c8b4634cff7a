import { z } from 'zod';
import {
  KEY_ACK_DOMAIN,
  KEY_BUNDLE_DOMAIN,
  ProtocolError,
  fromBase64,
  hexToBytes,
  keyAckSigningPayload,
  keyMembersHash,
  keyBundleSigningPayload,
  openBox,
  sealBox,
  sha256Hex,
  signCanonical,
  toBase64,
  verifyCanonical,
  type KeyGenerateTask,
  type KeyInstallTask,
} from '@fedmark/protocol';
import { appendLedgerEntry, listLedger } from '../ledger/index.ts';
import {
  changedMemberKeys,
  hasHeKey,
  loadHe,
  loadHeKey,
  saveHeKey,
  type StoredHeKey,
} from '../crypto/index.ts';
import { selfMember, type AgentContext } from './context.ts';
import { requireAcceptedMembers } from './members.ts';

/** The coordinator answers bundle and ack posts with the epoch; the agent only needs the version. */
const KeyPostResponseSchema = z.object({ version: z.literal(1) });

/**
 * One `key_ceremony` ledger entry per epoch and node (docs/federation-node.md), written once even
 * across restarts.
 */
function recordCeremony(
  ctx: AgentContext,
  key: StoredHeKey,
  role: 'generator' | 'member',
  changed: string[]
): void {
  const done = listLedger(ctx.db, { type: 'key_ceremony' }).some(
    (e) => e.body['keyId'] === key.keyId
  );
  if (done) return;
  appendLedgerEntry(ctx.db, {
    type: 'key_ceremony',
    body: {
      keyId: key.keyId,
      heParams: key.heParams,
      role,
      generator: key.generator,
      members: key.members.map((m) => m.name),
      publicKeyHash: key.publicKeyHash,
      // Members whose keys differ from an earlier epoch's record (re-admitted, or swapped).
      membersWithChangedKeys: changed,
    },
  });
}

function checkMemberKeys(
  ctx: AgentContext,
  keyId: string,
  members: KeyGenerateTask['members']
): string[] {
  const changed = changedMemberKeys(ctx.dir, members, keyId);
  if (changed.length > 0) ctx.log('member_keys_changed', { keyId, members: changed });
  return changed;
}

/**
 * Generator side: make the epoch's SEAL keys (or reuse them after a restart), seal the secret key
 * to every other member of the epoch this node accepted (tweetnacl box from this node's box
 * key), sign the bundle with that member set's hash and post it. The coordinator only ever sees
 * the public key and opaque boxes; a member it invented that this node did not accept gets
 * nothing, because nothing happens before acceptance (docs/federation-protocol.md "Key ceremony").
 */
export async function handleKeyGenerate(ctx: AgentContext, task: KeyGenerateTask): Promise<void> {
  selfMember(ctx.identity, task.members);
  const members = requireAcceptedMembers(ctx, task.keyId, task.members);
  const changed = checkMemberKeys(ctx, task.keyId, members);
  const he = await loadHe(task.heParams);
  let key: StoredHeKey;
  if (hasHeKey(ctx.dir, task.keyId)) {
    key = loadHeKey(ctx.dir, task.keyId);
    if (key.generator !== ctx.identity.name || key.heParams !== task.heParams) {
      throw new ProtocolError(
        'CONFLICT',
        `key epoch ${task.keyId} is already installed here from ${key.generator}; not generating another`
      );
    }
  } else {
    const pair = he.generateKeys();
    key = {
      keyId: task.keyId,
      heParams: task.heParams,
      generator: ctx.identity.name,
      members,
      publicKey: pair.publicKey,
      publicKeyHash: he.publicKeyHash(pair.publicKey),
      secretKey: pair.secretKey,
    };
    saveHeKey(ctx.dir, key);
  }
  const sealed: Record<string, string> = {};
  for (const m of members) {
    if (m.name === ctx.identity.name) continue;
    sealed[m.name] = toBase64(
      sealBox(key.secretKey, hexToBytes(m.boxKey), ctx.identity.box.secretKey)
    );
  }
  key.secretKey.fill(0); // this copy is no longer needed; the stored file is the one to use
  const bundle = {
    keyId: task.keyId,
    publicKey: toBase64(key.publicKey),
    sealed,
    membersHash: keyMembersHash(members),
  };
  const signature = signCanonical(
    KEY_BUNDLE_DOMAIN,
    keyBundleSigningPayload(bundle),
    ctx.identity.signing.secretKey
  );
  await ctx.client.request(
    'POST',
    `/v1/node/keys/${task.keyId}`,
    { version: 1, ...bundle, signature },
    KeyPostResponseSchema
  );
  recordCeremony(ctx, key, 'generator', changed);
  ctx.log('key_generated', {
    keyId: task.keyId,
    members: members.map((m) => m.name),
    publicKeyHash: key.publicKeyHash,
  });
}

/**
 * Member side: accept the epoch's member set (pinned), check the generator's bundle signature
 * over it (always: a bundle without one is refused), open the box with the generator's box key
 * (authenticated: a box from anyone else fails), check that the secret key decrypts what the
 * public key encrypts, store it (0600) and acknowledge.
 */
export async function handleKeyInstall(ctx: AgentContext, task: KeyInstallTask): Promise<void> {
  selfMember(ctx.identity, task.members);
  const members = requireAcceptedMembers(ctx, task.keyId, task.members);
  const changed = checkMemberKeys(ctx, task.keyId, members);
  const generator = members.find((m) => m.name === task.generator);
  if (!generator)
    throw new ProtocolError(
      'FORBIDDEN',
      `key generator ${task.generator} is not a member of epoch ${task.keyId}`
    );
  if (generator.name === ctx.identity.name)
    throw new ProtocolError(
      'CONFLICT',
      `asked to install key ${task.keyId} that this node generated`
    );
  const publicKey = fromBase64(task.publicKey, 'publicKey');
  const sealedBytes = fromBase64(task.sealedSecretKey, 'sealedSecretKey');
  const pkHash = sha256Hex(publicKey);
  // Same value keyBundleSigningPayload builds from the full bundle; we hold only our own box.
  // The members hash is this node's own pinned set: a generator that sealed to other members
  // (or a coordinator that showed it other members) does not verify.
  const payload = {
    keyId: task.keyId,
    publicKeyHash: pkHash,
    sealedHashes: task.sealedHashes,
    membersHash: keyMembersHash(members),
  };
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
  if (Object.keys(task.sealedHashes).sort().join('\n') !== expected.join('\n'))
    throw new ProtocolError(
      'KEY_MISMATCH',
      `key bundle ${task.keyId} is sealed to [${Object.keys(task.sealedHashes).sort().join(', ')}], not the accepted members [${expected.join(', ')}]`
    );
  if (task.sealedHashes[ctx.identity.name] !== sha256Hex(sealedBytes)) {
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `sealed key for ${ctx.identity.name} is not the one the generator signed`
    );
  }
  let secretKey: Uint8Array;
  try {
    secretKey = openBox(sealedBytes, hexToBytes(generator.boxKey), ctx.identity.box.secretKey);
  } catch {
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `sealed key for epoch ${task.keyId} does not open with generator ${generator.name}'s box key`
    );
  }
  try {
    const he = await loadHe(task.heParams);
    if (!he.checkKeyPair(secretKey, publicKey)) {
      throw new ProtocolError(
        'KEY_MISMATCH',
        `the sealed secret key of epoch ${task.keyId} does not match its public key`
      );
    }
    const key: StoredHeKey = {
      keyId: task.keyId,
      heParams: task.heParams,
      generator: generator.name,
      members,
      publicKey,
      publicKeyHash: pkHash,
      secretKey,
    };
    saveHeKey(ctx.dir, key);
    const ack = { keyId: task.keyId, publicKeyHash: pkHash };
    const signature = signCanonical(
      KEY_ACK_DOMAIN,
      keyAckSigningPayload(ack),
      ctx.identity.signing.secretKey
    );
    await ctx.client.request(
      'POST',
      `/v1/node/keys/${task.keyId}/ack`,
      { version: 1, ...ack, signature },
      KeyPostResponseSchema
    );
    recordCeremony(ctx, key, 'member', changed);
    ctx.log('key_installed', {
      keyId: task.keyId,
      generator: generator.name,
      publicKeyHash: pkHash,
    });
  } finally {
    secretKey.fill(0);
  }
}
