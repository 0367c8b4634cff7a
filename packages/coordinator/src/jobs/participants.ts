import { ProtocolError } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { requireActiveEpoch } from '../keys/epochs.ts';
import type { EpochRecord } from '../store/index.ts';

/**
 * A new job's epoch and participants: the active key epoch, and the spec's `nodes` (default
 * every member), sorted; all must be members, and at least `minNodes` of them.
 */
export function jobParticipants(
  ctx: Ctx,
  spec: { nodes?: string[] | undefined; minNodes: number }
): { epoch: EpochRecord; participants: string[] } {
  const epoch = requireActiveEpoch(ctx);
  const members = epoch.members.map((m) => m.name);
  const participants = [...new Set(spec.nodes ?? members)].sort();
  const strangers = participants.filter((n) => !members.includes(n));
  if (strangers.length > 0)
    throw new ProtocolError(
      'BAD_REQUEST',
      `nodes [${strangers.join(', ')}] are not members of key epoch ${epoch.keyId}`
    );
  if (participants.length < spec.minNodes)
    throw new ProtocolError(
      'BAD_REQUEST',
      `minNodes is ${spec.minNodes} but the job has only ${participants.length} participants`
    );
  return { epoch, participants };
}
