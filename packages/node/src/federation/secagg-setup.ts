import { z } from 'zod';
import {
  MIN_NODES_FLOOR,
  ProtocolError,
  ROUND_SPEC_DOMAIN,
  createSetup,
  hexToBytes,
  roundSpecSigningPayload,
  secaggThreshold,
  verifyCanonical,
  type Member,
  type SecaggSetupTask,
} from '@fedmark/protocol';
import { selfMember, type AgentContext } from './context.ts';
import { requireInstalledEpoch } from './members.ts';
import { getSecagg, putSecaggSetup } from './secagg-store.ts';

/** What the coordinator answers to a setup or an unmask answer (packages/coordinator jobs/secagg.ts). */
export const SecaggAckSchema = z.object({ version: z.literal(1), status: z.string() });

export function secaggPath(jobId: string, round: number, kind: 'setup' | 'unmask'): string {
  return `/v1/node/jobs/${encodeURIComponent(jobId)}/rounds/${round}/secagg/${kind}`;
}

/**
 * The pinned members of `keyId` by name, restricted to `names` (every one of which must be
 * pinned): the only keys a secure-aggregation check trusts, never the ones a task carries.
 */
export function pinnedAmong(
  members: readonly Member[],
  names: readonly string[],
  where: string
): Map<string, Member> {
  const pinned = new Map(members.map((m) => [m.name, m]));
  const out = new Map<string, Member>();
  for (const n of names) {
    const m = pinned.get(n);
    if (!m) throw new ProtocolError('FORBIDDEN', `${where}: ${n} is not a pinned member`);
    if (out.has(n)) throw new ProtocolError('BAD_REQUEST', `${where}: ${n} is listed twice`);
    out.set(n, m);
  }
  return out;
}

/**
 * Phase 1 of a secure-aggregation round (docs/secure-aggregation.md "Round phases"): fresh round
 * secrets, split among the participants and boxed to each one's pinned box key, signed, stored,
 * then posted. Checked first: the coordinator's signature of the round spec hash (pinned key,
 * when known), every participant a pinned member of the installed epoch, this node among them,
 * and a threshold no lower than a strict majority of the participants and this node's minNodes
 * (a lower one would let two disjoint groups of holders each rebuild one of this node's two
 * secrets). A node sets up a round once: the stored setup is re-sent byte for byte.
 */
export async function handleSecaggSetup(ctx: AgentContext, task: SecaggSetupTask): Promise<void> {
  const where = `secure aggregation setup ${task.jobId}/${task.round}`;
  const members = requireInstalledEpoch(ctx.db, ctx.dir, task.keyId);
  if (
    ctx.coordinatorKey !== undefined &&
    !verifyCanonical(
      ROUND_SPEC_DOMAIN,
      roundSpecSigningPayload({ jobId: task.jobId, round: task.round, specHash: task.specHash }),
      task.specSignature,
      ctx.coordinatorKey
    )
  )
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `${where}: the round spec hash is not signed by the pinned coordinator key`
    );
  const previous = getSecagg(ctx.db, task.jobId, task.round);
  if (previous) {
    previous.secrets?.selfSecret.fill(0);
    previous.secrets?.maskSecretKey.fill(0);
    if (previous.specHash !== task.specHash)
      throw new ProtocolError(
        'CONFLICT',
        `${where}: this node already set up this round for another round spec`
      );
    ctx.log('secagg_setup_resent', { jobId: task.jobId, round: task.round });
    return postSetup(ctx, task, previous.setupBody);
  }
  const participants = pinnedAmong(members, task.participants, where);
  if (!participants.has(ctx.identity.name))
    throw new ProtocolError('FORBIDDEN', `${where}: this node is not among the participants`);
  selfMember(ctx.identity, members);
  const n = participants.size;
  const least = secaggThreshold(n, Math.max(MIN_NODES_FLOOR, ctx.policy().minNodes));
  if (task.threshold < least || task.threshold > n)
    throw new ProtocolError(
      'FORBIDDEN',
      `${where}: threshold ${task.threshold} of ${n} participants; this node shares only with a threshold from ${least} to ${n}`
    );
  const { setup, secrets } = await createSetup({
    jobId: task.jobId,
    round: task.round,
    node: ctx.identity.name,
    specHash: task.specHash,
    threshold: task.threshold,
    participants: [...participants.values()].map((m) => ({
      name: m.name,
      boxKey: hexToBytes(m.boxKey),
    })),
    signingSecretKey: ctx.identity.signing.secretKey,
    boxSecretKey: ctx.identity.box.secretKey,
  });
  let stored: string;
  try {
    stored = putSecaggSetup(ctx.db, {
      jobId: task.jobId,
      round: task.round,
      keyId: task.keyId,
      specHash: task.specHash,
      threshold: task.threshold,
      participants: [...participants.keys()].sort(),
      setupBody: JSON.stringify(setup),
      secrets,
    });
  } finally {
    secrets.selfSecret.fill(0);
    secrets.maskSecretKey.fill(0);
  }
  ctx.log('secagg_setup_sending', {
    jobId: task.jobId,
    round: task.round,
    participants: n,
    threshold: task.threshold,
  });
  await postSetup(ctx, task, stored);
}

async function postSetup(ctx: AgentContext, task: SecaggSetupTask, body: string): Promise<void> {
  await ctx.client.request(
    'POST',
    secaggPath(task.jobId, task.round, 'setup'),
    JSON.parse(body) as unknown,
    SecaggAckSchema
  );
}
