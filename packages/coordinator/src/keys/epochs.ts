import { HE_PARAMS_IDS, ProtocolError, type HeParamsId, type KeyEpoch } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import type { EpochRecord } from '../store/index.ts';

/** Parameter set of new epochs (docs/federation-protocol.md "Fixed point and BFV packing"). */
export const DEFAULT_HE_PARAMS: HeParamsId = HE_PARAMS_IDS[0];

/**
 * Starts a new key epoch for the current membership (call inside a store transaction). Any
 * epoch still being generated or installed is superseded (retired); the active one stays active
 * until the new one is, so running jobs keep their key. The generator is the first member by name.
 */
export function rotateKey(ctx: Ctx, reason: string): EpochRecord | undefined {
  const { keys, nodes } = ctx.store;
  for (const e of keys.list())
    if (e.state === 'generating' || e.state === 'installing') keys.setState(e.seq, 'retired');
  const members = nodes.members();
  const first = members[0];
  if (!first) return undefined;
  const epoch = keys.create({
    heParams: DEFAULT_HE_PARAMS,
    members,
    generator: first.name,
    createdAt: ctx.iso(),
  });
  ctx.log(
    `key epoch ${epoch.keyId} started (${reason}): ${members.length} members, generator ${first.name}`
  );
  return epoch;
}

/** Marks `epoch` active and retires every older epoch: their keys are refused for new jobs. */
export function activate(ctx: Ctx, epoch: EpochRecord): void {
  for (const e of ctx.store.keys.list())
    if (e.seq < epoch.seq && e.state !== 'retired') ctx.store.keys.setState(e.seq, 'retired');
  ctx.store.keys.setState(epoch.seq, 'active');
  ctx.log(`key epoch ${epoch.keyId} active`);
}

/** The epoch new jobs must use, or a CONFLICT explaining why there is none yet. */
export function requireActiveEpoch(ctx: Ctx): EpochRecord {
  const latest = ctx.store.keys.latest();
  if (!latest)
    throw new ProtocolError(
      'CONFLICT',
      'no key epoch yet: admit nodes first (fedmark coordinator admit)'
    );
  // While the ceremony runs the refusal has its own code, so clients wait on the code rather
  // than on the wording of the message.
  if (latest.state === 'generating') {
    throw new ProtocolError(
      'KEY_EPOCH_PENDING',
      `key epoch ${latest.keyId} is not active: waiting for ${latest.generator} to generate the HE keys`
    );
  }
  if (latest.state === 'installing') {
    const waiting = latest.members
      .filter((m) => m.name !== latest.generator && !latest.acked.includes(m.name))
      .map((m) => m.name);
    throw new ProtocolError(
      'KEY_EPOCH_PENDING',
      `key epoch ${latest.keyId} is not active: waiting for ${waiting.join(', ')} to install the key`
    );
  }
  if (latest.state !== 'active')
    throw new ProtocolError('CONFLICT', `key epoch ${latest.keyId} is ${latest.state}`);
  return latest;
}

export function epochToWire(e: EpochRecord): KeyEpoch {
  return {
    keyId: e.keyId,
    heParams: e.heParams as HeParamsId,
    state: e.state,
    members: e.members,
    generator: e.generator,
    publicKeyHash: e.publicKeyHash,
    acked: e.acked,
    createdAt: e.createdAt,
  };
}
