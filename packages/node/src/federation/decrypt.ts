import {
  CONTRIBUTOR_SET_DOMAIN,
  contributorSetHash,
  contributorSetSigningPayload,
  DECRYPTION_DOMAIN,
  MIN_NODES_FLOOR,
  ProtocolError,
  SUBMISSION_DOMAIN,
  decryptionSigningPayload,
  fromBase64,
  hexToBytes,
  signCanonical,
  submissionSigningPayload,
  verifyCanonical,
  type DecryptTask,
} from '@fedmark/protocol';
import { z } from 'zod';
import { hasHeKey, loadHe, loadHeKey } from '../crypto/index.ts';
import { getAnswer } from './submissions.ts';
import { getDecryption, putDecryption, recordRefusedSet } from './decryptions.ts';
import type { AgentContext } from './context.ts';

const DecryptionResponseSchema = z.object({ version: z.literal(1) });

async function postDecryption(
  ctx: AgentContext,
  task: DecryptTask,
  answer: unknown
): Promise<void> {
  await ctx.client.request(
    'POST',
    `/v1/node/jobs/${encodeURIComponent(task.jobId)}/rounds/${task.round}/decryption`,
    answer,
    DecryptionResponseSchema
  );
}

/**
 * Decrypts a round's aggregate only after checking that it is what it claims to be
 * (docs/federation-protocol.md, docs/architecture.md §3):
 * 1. every listed contribution is signed by a member of the key epoch (members as this node
 *    installed them, not as the task says), for this job, round, key and layout;
 * 2. at least max(task minNodes, the round's minNodes as this node saw it, policy minNodes, 3)
 *    distinct nodes contributed;
 * 3. this node's own contribution, if it made one, is listed with the hashes it sent;
 * 4. (no longer: the contributions' ciphertexts are never fetched; each is masked, so only the
 *    aggregate of the closed set, unmasked by the survivors, is meaningful.)
 * 5. (before all of these) the task names this node's own spec hash, every contribution that same
 *    hash, the coordinator signed the closed contributor set (pinned key, when known), and the
 *    node decrypted no other set of this round; its own submission must be in the set.
 * Only then it decrypts, decodes the signed values, records the decryption (table and ledger)
 * and posts them, signed. The same set asked again gets the stored answer.
 */
export async function handleDecrypt(ctx: AgentContext, task: DecryptTask): Promise<void> {
  const where = `decrypt ${task.jobId}/${task.round}`;
  if (!hasHeKey(ctx.dir, task.keyId))
    throw new ProtocolError(
      'KEY_MISMATCH',
      `${where}: this node does not hold key epoch ${task.keyId}`
    );
  const mine = getAnswer(ctx.db, task.jobId, task.round);
  if (!mine || mine.layoutLength === null || mine.layoutHash === null) {
    throw new ProtocolError(
      'FORBIDDEN',
      `${where}: this node did not contribute to the round, so it does not know its layout`
    );
  }
  if (mine.layoutHash !== task.layoutHash)
    throw new ProtocolError('LAYOUT_MISMATCH', `${where}: layout hash differs from the round's`);
  // Decrypt once, over a closed signed set (docs/federation-protocol.md "Decrypt once"): the
  // coordinator alone could otherwise difference two decryptions of one round.
  const mySpecHash = (JSON.parse(mine.body) as { specHash?: string }).specHash;
  if (task.specHash !== mySpecHash)
    throw new ProtocolError(
      'CONFLICT',
      `${where}: the task names another round spec than the one this node computed on`
    );
  const setPayload = {
    jobId: task.jobId,
    round: task.round,
    specHash: task.specHash,
    contributions: task.contributions,
  };
  if (
    ctx.coordinatorKey !== undefined &&
    !verifyCanonical(
      CONTRIBUTOR_SET_DOMAIN,
      contributorSetSigningPayload(setPayload),
      task.contributorSetSignature,
      ctx.coordinatorKey
    )
  )
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `${where}: the contributor set is not signed by the pinned coordinator key`
    );
  const setHash = contributorSetHash(setPayload);
  const contributors = task.contributions.map((c) => c.node).sort();
  const done = getDecryption(ctx.db, task.jobId, task.round);
  if (done) {
    if (done.setHash === setHash) {
      // The same set again: the stored signed answer, no second decryption.
      await postDecryption(ctx, task, JSON.parse(done.body) as unknown);
      return;
    }
    recordRefusedSet(
      ctx.db,
      { jobId: task.jobId, round: task.round, setHash, contributors },
      done.setHash
    );
    throw new ProtocolError(
      'CONFLICT',
      `${where}: this node already decrypted this round for contributors ${done.contributors.join(', ')}; refusing another set (${contributors.join(', ')})`
    );
  }
  const key = loadHeKey(ctx.dir, task.keyId);
  try {
    const members = new Map(key.members.map((m) => [m.name, m]));
    const nodes = new Set<string>();
    for (const c of task.contributions) {
      const member = members.get(c.node);
      if (!member)
        throw new ProtocolError(
          'FORBIDDEN',
          `${where}: contribution from ${c.node}, not a member of ${task.keyId}`
        );
      if (c.specHash !== task.specHash)
        throw new ProtocolError(
          'CONFLICT',
          `${where}: the contribution of ${c.node} was made for another round spec than this node's`
        );
      if (
        c.jobId !== task.jobId ||
        c.round !== task.round ||
        c.keyId !== task.keyId ||
        c.layoutHash !== task.layoutHash
      ) {
        throw new ProtocolError(
          'BAD_REQUEST',
          `${where}: contribution from ${c.node} is for another job, round, key or layout`
        );
      }
      const { signature, ...meta } = c;
      if (
        !verifyCanonical(
          SUBMISSION_DOMAIN,
          submissionSigningPayload(meta),
          signature,
          hexToBytes(member.signingKey)
        )
      ) {
        throw new ProtocolError(
          'INVALID_SIGNATURE',
          `${where}: contribution of ${c.node} is not signed by it`
        );
      }
      if (nodes.has(c.node))
        throw new ProtocolError('BAD_REQUEST', `${where}: ${c.node} is listed twice`);
      nodes.add(c.node);
    }
    const required = Math.max(
      task.minNodes,
      mine.minNodes ?? 0,
      ctx.policy().minNodes,
      MIN_NODES_FLOOR
    );
    if (nodes.size < required) {
      throw new ProtocolError(
        'QUORUM_NOT_MET',
        `${where}: ${nodes.size} distinct signed contributions, at least ${required} required; refusing to decrypt`
      );
    }
    if (mine.kind === 'submission') {
      const listed = task.contributions.find((c) => c.node === ctx.identity.name);
      if (!listed)
        throw new ProtocolError(
          'FORBIDDEN',
          `${where}: the contributor set leaves out this node's own submission`
        );
      if (listed.ciphertextHashes.join() !== mine.ciphertextHashes.join()) {
        throw new ProtocolError(
          'CONFLICT',
          `${where}: the aggregate lists a contribution of this node that it did not send`
        );
      }
    }

    // No individual ciphertext is fetched (docs/secure-aggregation.md): under secure aggregation
    // each one is masked, and only the closed set's sum, unmasked by the survivors' shares,
    // means anything; a different aggregate decrypts to masked noise.
    const he = await loadHe(key.heParams);
    const aggregate = task.aggregate.map((b, i) => fromBase64(b, `aggregate ${i}`));
    const values = he
      .decrypt(aggregate, key.secretKey, mine.layoutLength)
      .map((v) => v.toString(10));
    const body = {
      jobId: task.jobId,
      round: task.round,
      node: ctx.identity.name,
      layoutHash: task.layoutHash,
      values,
    };
    const signature = signCanonical(
      DECRYPTION_DOMAIN,
      decryptionSigningPayload(body),
      ctx.identity.signing.secretKey
    );
    const answer = { version: 1, ...body, signature };
    putDecryption(ctx.db, {
      jobId: task.jobId,
      round: task.round,
      setHash,
      contributors,
      body: JSON.stringify(answer),
    });
    await postDecryption(ctx, task, answer);
    ctx.log('round_decrypted', { jobId: task.jobId, round: task.round, contributors: nodes.size });
  } finally {
    key.secretKey.fill(0);
  }
}
