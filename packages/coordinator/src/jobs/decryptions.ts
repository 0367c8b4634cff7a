import {
  DECRYPTION_DOMAIN,
  DecryptionSchema,
  ProtocolError,
  decryptionSigningPayload,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { recordEvent } from './events.ts';
import { publishIfReady } from './secagg.ts';
import { checkPathIds, jobAndRound, parseRoundParam, requireSignedBy } from './submissions.ts';
import type { RoundEngine } from './rounds.ts';

/**
 * A decryptor's signed plaintext of the aggregate. Publication needs two agreeing answers (or
 * the single one asked) and no disagreeing one; if the asked decryptors disagree, the round is
 * never published and the job fails once all of them answered.
 */
export async function acceptDecryption(
  ctx: Ctx,
  engine: RoundEngine,
  node: string,
  jobId: string,
  roundParam: string,
  body: unknown
): Promise<{ version: 1; status: string }> {
  const round = parseRoundParam(roundParam);
  const d = DecryptionSchema.parse(body);
  checkPathIds(d, { jobId, round, node }, 'answer');
  requireSignedBy(ctx, node, 'decryption', {
    domain: DECRYPTION_DOMAIN,
    payload: decryptionSigningPayload(d),
    signature: d.signature,
  });
  const { r } = jobAndRound(ctx, jobId, round);
  if (!r.decryptors?.includes(node))
    throw new ProtocolError(
      'FORBIDDEN',
      `node ${node} was not asked to decrypt job ${jobId} round ${round}`
    );
  const previous = ctx.store.jobs.decryptions(jobId, round).find((x) => x.node === node);
  if (previous) {
    if (previous.values.join() === d.values.join()) return { version: 1, status: r.status };
    throw new ProtocolError(
      'CONFLICT',
      `node ${node} already sent a different decryption for job ${jobId} round ${round}`
    );
  }
  if (r.status === 'published' && r.result) {
    // A late decryptor (the round was published on two other answers): accept an agreeing
    // answer for the record; a disagreeing one is a conflict with what was published.
    // Decryptions are of the masked sum: compare with the answers the round published on.
    const published = ctx.store.jobs.decryptions(jobId, round)[0];
    if (published && published.values.join() !== d.values.join()) {
      throw new ProtocolError(
        'CONFLICT',
        `decryption of ${node} disagrees with the published result of job ${jobId} round ${round}`
      );
    }
    ctx.store.transaction(() => {
      ctx.store.jobs.insertDecryption(jobId, round, {
        node,
        values: d.values,
        signature: d.signature,
        at: ctx.iso(),
      });
      recordEvent(ctx, jobId, 'decryption_received', {
        round,
        node,
        detail: { afterPublication: true },
      });
    });
    return { version: 1, status: 'published' };
  }
  if (r.status !== 'decrypting')
    throw new ProtocolError(
      'CONFLICT',
      `round ${round} of job ${jobId} is ${r.status}, not decrypting`
    );
  if (d.layoutHash !== r.layoutHash)
    throw new ProtocolError(
      'LAYOUT_MISMATCH',
      `decryption names layout ${d.layoutHash.slice(0, 12)}…, round has ${r.layoutHash.slice(0, 12)}…`
    );
  if (d.values.length !== r.layoutLength)
    throw new ProtocolError(
      'LAYOUT_MISMATCH',
      `${d.values.length} values for a ${r.layoutLength}-slot layout`
    );
  const status = ctx.store.transaction(() => {
    const { job, r: cur } = jobAndRound(ctx, jobId, round);
    if (cur.status !== 'decrypting') return cur.status;
    ctx.store.jobs.insertDecryption(jobId, round, {
      node,
      values: d.values,
      signature: d.signature,
      at: ctx.iso(),
    });
    const all = ctx.store.jobs.decryptions(jobId, round);
    const first = all[0] as (typeof all)[number];
    const agreeing = all.filter((x) => x.values.join() === first.values.join());
    const disagree = agreeing.length !== all.length;
    recordEvent(ctx, jobId, disagree ? 'decryption_disagreement' : 'decryption_received', {
      round,
      node,
      detail: { answered: all.length, asked: cur.decryptors?.length ?? 0 },
    });
    const asked = cur.decryptors ?? [];
    if (disagree) {
      if (all.length === asked.length) {
        const message = `decryptors ${all.map((x) => x.node).join(', ')} returned different plaintexts; nothing was published`;
        ctx.store.jobs.updateRound(jobId, round, { status: 'failed', closeReason: message });
        ctx.store.jobs.updateJob(jobId, {
          status: 'failed',
          failure: { code: 'DECRYPTION_DISAGREEMENT', message },
        });
        recordEvent(ctx, jobId, 'job_failed', {
          round,
          detail: { code: 'DECRYPTION_DISAGREEMENT', message },
        });
      }
      return 'decrypting';
    }
    // Publication also needs the unmask correction (jobs/secagg.ts), whichever comes last.
    return publishIfReady(ctx, job, cur) ? 'published' : 'decrypting';
  });
  // Publication of rfm round 0 opens round 1 (in its setup phase, like every round): arm its timers.
  for (const next of ctx.store.jobs.rounds(jobId))
    if (next.status === 'setup' || next.status === 'open') engine.schedule(jobId, next.round);
  return { version: 1, status };
}
