import {
  ProtocolError,
  SECAGG_SETS_DOMAIN,
  answerUnmask,
  checkSets,
  hexToBytes,
  secaggSetsHash,
  secaggSetsSigningPayload,
  verifyCanonical,
  type SecaggSets,
  type SecaggUnmaskTask,
} from '@fedmark/protocol';
import type { AgentContext } from './context.ts';
import { requireInstalledEpoch } from './members.ts';
import { SecaggAckSchema, pinnedAmong, secaggPath } from './secagg-setup.ts';
import { getSecagg, putSecaggUnmask, recordRefusedSets } from './secagg-store.ts';

async function postUnmask(ctx: AgentContext, task: SecaggUnmaskTask, body: string): Promise<void> {
  await ctx.client.request(
    'POST',
    secaggPath(task.jobId, task.round, 'unmask'),
    JSON.parse(body) as unknown,
    SecaggAckSchema
  );
}

/**
 * Phase 4 of a secure-aggregation round (docs/secure-aggregation.md "Round phases"): reveal, for
 * the coordinator's signed survivor and dropped sets, the self-mask share of each survivor and
 * the mask-key share of each dropped node. Checked first: the sets' signature (pinned coordinator
 * key, when known), the round spec this node set up for, that it submitted masked input, and the
 * sets themselves (protocol `checkSets`: disjoint, exactly the nodes it masked with, itself a
 * survivor, at least `threshold` survivors).
 *
 * Answer once per round: the same sets again get the stored answer; other sets are refused
 * (CONFLICT) and ledgered once as `secagg_unmask_refused`. Answering a second, different pair of
 * sets is what would let a coordinator, told by one group that a node survived and by another
 * that it dropped, rebuild both of that node's secrets and unmask its input alone.
 */
export async function handleSecaggUnmask(ctx: AgentContext, task: SecaggUnmaskTask): Promise<void> {
  const where = `secure aggregation unmask ${task.jobId}/${task.round}`;
  const members = requireInstalledEpoch(ctx.db, ctx.dir, task.keyId);
  const sets: SecaggSets = {
    jobId: task.jobId,
    round: task.round,
    specHash: task.specHash,
    survivors: task.survivors,
    dropped: task.dropped,
  };
  if (
    ctx.coordinatorKey !== undefined &&
    !verifyCanonical(
      SECAGG_SETS_DOMAIN,
      secaggSetsSigningPayload(sets),
      task.setsSignature,
      ctx.coordinatorKey
    )
  )
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `${where}: the survivor and dropped sets are not signed by the pinned coordinator key`
    );
  const stored = getSecagg(ctx.db, task.jobId, task.round);
  stored?.secrets?.selfSecret.fill(0); // not needed to answer: only the boxes addressed to it
  stored?.secrets?.maskSecretKey.fill(0);
  if (!stored?.maskedWith)
    throw new ProtocolError(
      'FORBIDDEN',
      `${where}: this node submitted no masked input for the round`
    );
  if (stored.specHash !== task.specHash || stored.keyId !== task.keyId)
    throw new ProtocolError(
      'CONFLICT',
      `${where}: the sets name another round spec or key epoch than the one this node set up for`
    );
  const setsHash = secaggSetsHash(sets);
  if (stored.unmaskBody !== null && stored.unmaskSetsHash !== null) {
    if (stored.unmaskSetsHash === setsHash) {
      ctx.log('secagg_unmask_resent', { jobId: task.jobId, round: task.round });
      return postUnmask(ctx, task, stored.unmaskBody);
    }
    return refuseOtherSets(ctx, task, setsHash, stored.unmaskSetsHash, where);
  }
  checkSets(sets, ctx.identity.name, stored.maskedWith, stored.threshold);
  const owners = new Set<string>();
  for (const b of task.shares) {
    if (owners.has(b.owner))
      throw new ProtocolError('BAD_REQUEST', `${where}: two share boxes from ${b.owner}`);
    owners.add(b.owner);
  }
  // Boxes open only from the owners' pinned box keys (authenticated), never keys a task carries.
  const keys = pinnedAmong(members, stored.participants, where);
  const answer = answerUnmask({
    sets,
    me: ctx.identity.name,
    boxes: task.shares,
    ownerBoxKey: (owner) => {
      const m = keys.get(owner);
      return m ? hexToBytes(m.boxKey) : undefined;
    },
    boxSecretKey: ctx.identity.box.secretKey,
    signingSecretKey: ctx.identity.signing.secretKey,
  });
  const body = JSON.stringify(answer);
  if (
    !putSecaggUnmask(ctx.db, {
      jobId: task.jobId,
      round: task.round,
      setsHash,
      survivors: task.survivors,
      dropped: task.dropped,
      body,
    })
  ) {
    // Another process answered first: its answer is the one, whatever this task asks.
    const now = getSecagg(ctx.db, task.jobId, task.round);
    if (now?.unmaskBody && now.unmaskSetsHash === setsHash)
      return postUnmask(ctx, task, now.unmaskBody);
    if (now?.unmaskSetsHash) return refuseOtherSets(ctx, task, setsHash, now.unmaskSetsHash, where);
    throw new ProtocolError('CONFLICT', `${where}: the answer could not be stored`);
  }
  ctx.log('secagg_unmask_sending', {
    jobId: task.jobId,
    round: task.round,
    survivors: task.survivors.length,
    dropped: task.dropped.length,
  });
  await postUnmask(ctx, task, body);
}

function refuseOtherSets(
  ctx: AgentContext,
  task: SecaggUnmaskTask,
  setsHash: string,
  answeredSetsHash: string,
  where: string
): never {
  recordRefusedSets(
    ctx.db,
    {
      jobId: task.jobId,
      round: task.round,
      setsHash,
      survivors: task.survivors,
      dropped: task.dropped,
    },
    answeredSetsHash
  );
  throw new ProtocolError(
    'CONFLICT',
    `${where}: this node already answered the unmask of this round for other sets (${answeredSetsHash.slice(0, 12)}…); refusing sets ${setsHash.slice(0, 12)}… (survivors ${[...task.survivors].sort().join(', ')}; dropped ${[...task.dropped].sort().join(', ') || 'none'})`
  );
}
