import { z } from 'zod';
import {
  KEY_ACK_DOMAIN,
  ProtocolError,
  keyAckSigningPayload,
  signCanonical,
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
import { openKeyInstall, sealKeyBundle } from './key-bundle.ts';
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
 * Generator side: make the epoch's SEAL keys (or reuse them after a restart), encrypt the secret
 * key once under a fresh data key and seal that data key to every other member of the epoch this
 * node accepted (tweetnacl box from this node's box key; key-bundle.ts), sign the bundle with
 * that member set's hash and post it. The coordinator only ever sees the public key and opaque
 * boxes; a member it invented that this node did not accept gets nothing, because nothing happens
 * before acceptance (docs/federation-protocol.md "Key ceremony").
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
  const bundle = sealKeyBundle(ctx.identity, { ...key, members });
  key.secretKey.fill(0); // this copy is no longer needed; the stored file is the one to use
  await ctx.client.request('POST', `/v1/node/keys/${task.keyId}`, bundle, KeyPostResponseSchema);
  recordCeremony(ctx, key, 'generator', changed);
  ctx.log('key_generated', {
    keyId: task.keyId,
    members: members.map((m) => m.name),
    publicKeyHash: key.publicKeyHash,
  });
}

/**
 * Member side: accept the epoch's member set (pinned), check the generator's bundle signature
 * over it (always: a bundle without one is refused), open this node's sealed data key with the
 * generator's box key (authenticated: a box from anyone else fails) and with it the secret key
 * (key-bundle.ts), check that the secret key decrypts what the public key encrypts, store it
 * (0600) and acknowledge.
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
  const {
    publicKey,
    publicKeyHash: pkHash,
    secretKey,
  } = openKeyInstall(ctx.identity, task, members, generator);
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
