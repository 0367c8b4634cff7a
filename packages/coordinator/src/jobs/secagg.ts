import {
  HE_PARAMS,
  ProtocolError,
  SECAGG_SETS_DOMAIN,
  SECAGG_UNMASK_DOMAIN,
  SecaggSetupSchema,
  SecaggUnmaskSchema,
  advertOf,
  applyCorrection,
  bytesToHex,
  maskCorrection,
  secaggParticipantsHash,
  secaggSetsHash,
  secaggSetsSigningPayload,
  secaggUnmaskSigningPayload,
  setupMatchesAdvert,
  signCanonical,
  verifyAdvert,
  type HeParamsId,
  type SecaggSets,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import { recordEvent } from './events.ts';
import { publishRound } from './publication.ts';
import { roundSpecHashOf } from './round-binding.ts';
import type { RoundEngine } from './rounds.ts';
import {
  checkPathIds,
  jobAndRound,
  parseRoundParam,
  requireSignedBy,
  signerKey,
} from './submissions.ts';
import { thresholdOf } from './threshold.ts';
import { roundParticipants } from './exclusions.ts';

/**
 * The coordinator's side of secure aggregation (docs/secure-aggregation.md "Round phases"): it
 * collects each participant's setup, relays boxed shares it cannot open, signs the survivor and
 * dropped sets, collects the survivors' unmask answers, and rebuilds from them the correction that
 * turns the decrypted masked sum into the survivors' plain sum. It never holds a node's secrets
 * before the round closed, and never both secrets of one node.
 */

function plainModulusOf(ctx: Ctx, job: JobRecord): bigint {
  const id = (ctx.store.keys.get(job.keyId)?.heParams ?? DEFAULT_HE_PARAMS) as HeParamsId;
  return HE_PARAMS[id].plainModulus;
}

/**
 * Phase 1: a participant's setup. Checked: schema, ids, signature, participation, the round's
 * spec hash, threshold and participant set, and that each box is the one the advertisement signs.
 * The same setup again is accepted again; another one is a conflict.
 */
export async function acceptSecaggSetup(
  ctx: Ctx,
  engine: RoundEngine,
  node: string,
  jobId: string,
  roundParam: string,
  body: unknown
): Promise<{ version: 1; status: string }> {
  const round = parseRoundParam(roundParam);
  const s = SecaggSetupSchema.parse(body);
  checkPathIds(s, { jobId, round, node }, 'answer');
  if (!verifyAdvert(advertOf(s), bytesToHex(signerKey(ctx, node))))
    throw new ProtocolError('INVALID_SIGNATURE', `setup signature of ${node} does not verify`);
  const { job, r } = jobAndRound(ctx, jobId, round);
  if (!job.participants.includes(node))
    throw new ProtocolError('FORBIDDEN', `node ${node} is not a participant of job ${jobId}`);
  // The round's participants: the job's, less the nodes that refused an earlier round of it.
  const participants = roundParticipants(ctx.store.jobs, job, round);
  if (!participants.includes(node))
    throw new ProtocolError(
      'FORBIDDEN',
      `node ${node} refused an earlier round of job ${jobId} and takes no part in round ${round}`
    );
  const previous = ctx.store.jobs.getSecaggSetup(jobId, round, node);
  if (previous) {
    if (previous.signature === s.signature) return { version: 1, status: r.status };
    throw new ProtocolError(
      'CONFLICT',
      `node ${node} already sent another setup for job ${jobId} round ${round}`
    );
  }
  await engine.evaluate(jobId, round);
  const cur = ctx.store.jobs.getRound(jobId, round) as RoundRecord;
  if (cur.status !== 'setup')
    throw new ProtocolError(
      'CONFLICT',
      `round ${round} of job ${jobId} is past its setup phase (${cur.closeReason ?? cur.status})`
    );
  const specHash = roundSpecHashOf(job, cur);
  if (s.specHash !== specHash)
    throw new ProtocolError(
      'CONFLICT',
      `setup names round spec ${s.specHash.slice(0, 12)}…, the round has ${specHash.slice(0, 12)}…`
    );
  const threshold = thresholdOf(job);
  if (s.threshold !== threshold || s.participantsHash !== secaggParticipantsHash(participants))
    throw new ProtocolError(
      'BAD_REQUEST',
      `setup shares among another participant set or threshold (${s.threshold}) than the round's (${threshold} of ${participants.length})`
    );
  const holders = Object.keys(s.shares).sort();
  if (holders.join() !== [...participants].sort().join() || !setupMatchesAdvert(s))
    throw new ProtocolError(
      'BAD_REQUEST',
      'setup boxes must be one per participant, each matching its signed hash'
    );
  ctx.store.transaction(() => {
    ctx.store.jobs.insertSecaggSetup(s);
    const count = ctx.store.jobs.secaggSenders(jobId, round, 'setup').length;
    if (count >= threshold && cur.quorumAt === null)
      ctx.store.jobs.updateRound(jobId, round, { quorumAt: ctx.now() });
    recordEvent(ctx, jobId, 'secagg_setup_received', {
      round,
      node,
      detail: { received: count, of: participants.length, threshold },
    });
  });
  await engine.evaluate(jobId, round);
  return { version: 1, status: (ctx.store.jobs.getRound(jobId, round) as RoundRecord).status };
}

/**
 * Closes phase 1 (call inside a transaction): the round's advertisements are fixed, and masked
 * input opens for exactly the nodes that sent a setup.
 */
export function closeSetup(ctx: Ctx, job: JobRecord, r: RoundRecord, reason: string): void {
  const adverts = ctx.store.jobs.secaggSetups(job.id, r.round).map(advertOf);
  ctx.store.jobs.updateRound(job.id, r.round, {
    status: 'open',
    quorumAt: null,
    secagg: { adverts },
  });
  recordEvent(ctx, job.id, 'secagg_setup_closed', {
    round: r.round,
    detail: { reason, advertised: adverts.map((a) => a.node) },
  });
}

/** The sets a closed round's survivors are asked to answer, as signed. */
export function setsOf(job: JobRecord, r: RoundRecord): SecaggSets {
  return {
    jobId: job.id,
    round: r.round,
    specHash: roundSpecHashOf(job, r),
    survivors: r.secagg?.survivors ?? [],
    dropped: r.secagg?.dropped ?? [],
  };
}

/** Signs the closed sets: survivors submitted masked input, dropped advertised but did not. */
export function signSets(ctx: Ctx, sets: SecaggSets): string {
  return signCanonical(
    SECAGG_SETS_DOMAIN,
    secaggSetsSigningPayload(sets),
    ctx.coordinatorKey.secretKey
  );
}

/**
 * Phase 4: a survivor's unmask answer. It must name the round's signed sets and carry shares
 * only of the kinds those sets allow (self-mask shares of survivors, mask-key shares of dropped
 * nodes). At `threshold` answers the correction is rebuilt and stored; with agreeing decryptions
 * the round then publishes.
 */
export async function acceptSecaggUnmask(
  ctx: Ctx,
  engine: RoundEngine,
  node: string,
  jobId: string,
  roundParam: string,
  body: unknown
): Promise<{ version: 1; status: string }> {
  const round = parseRoundParam(roundParam);
  const u = SecaggUnmaskSchema.parse(body);
  checkPathIds(u, { jobId, round, node }, 'answer');
  requireSignedBy(ctx, node, 'unmask', {
    domain: SECAGG_UNMASK_DOMAIN,
    payload: secaggUnmaskSigningPayload(u),
    signature: u.signature,
  });
  const { job, r } = jobAndRound(ctx, jobId, round);
  const sets = setsOf(job, r);
  if (!sets.survivors.includes(node))
    throw new ProtocolError(
      'FORBIDDEN',
      `node ${node} is not a survivor of job ${jobId} round ${round}`
    );
  const previous = ctx.store.jobs.getSecaggUnmask(jobId, round, node);
  if (previous) {
    if (previous.signature === u.signature) return { version: 1, status: r.status };
    throw new ProtocolError(
      'CONFLICT',
      `node ${node} already answered the unmask of job ${jobId} round ${round}`
    );
  }
  if (r.status !== 'decrypting' || r.secagg?.correction)
    throw new ProtocolError(
      'CONFLICT',
      `round ${round} of job ${jobId} is not unmasking (${r.status})`
    );
  if (u.setsHash !== secaggSetsHash(sets))
    throw new ProtocolError(
      'CONFLICT',
      `the answer names other survivor and dropped sets than the round's`
    );
  const selfOwners = Object.keys(u.selfShares).sort().join();
  const keyOwners = Object.keys(u.keyShares).sort().join();
  if (
    selfOwners !== [...sets.survivors].sort().join() ||
    keyOwners !== [...sets.dropped].sort().join()
  )
    throw new ProtocolError(
      'BAD_REQUEST',
      'an unmask answer carries exactly the self-mask shares of the survivors and the mask-key shares of the dropped nodes'
    );
  ctx.store.transaction(() => {
    ctx.store.jobs.insertSecaggUnmask(u);
    recordEvent(ctx, jobId, 'secagg_unmask_received', {
      round,
      node,
      detail: {
        answered: ctx.store.jobs.secaggSenders(jobId, round, 'unmask').length,
        threshold: thresholdOf(job),
      },
    });
  });
  await rebuildCorrection(ctx, job, round);
  for (const next of ctx.store.jobs.rounds(jobId))
    if (next.status === 'setup' || next.status === 'open') engine.schedule(jobId, next.round);
  return { version: 1, status: (ctx.store.jobs.getRound(jobId, round) as RoundRecord).status };
}

/**
 * With `threshold` unmask answers: rebuild the seeds, store the correction, and publish if the
 * decryptions already agree. A rebuilt secret that does not match its commitment fails the job
 * (UNMASK_FAILED): some share was wrong, and nothing is published.
 */
async function rebuildCorrection(ctx: Ctx, job: JobRecord, round: number): Promise<void> {
  const r = ctx.store.jobs.getRound(job.id, round) as RoundRecord;
  const answers = ctx.store.jobs.secaggUnmasks(job.id, round);
  const threshold = thresholdOf(job);
  if (r.status !== 'decrypting' || r.secagg?.correction || answers.length < threshold) return;
  let correction: bigint[];
  try {
    correction = await maskCorrection({
      sets: setsOf(job, r),
      length: r.layoutLength,
      modulus: plainModulusOf(ctx, job),
      threshold,
      adverts: r.secagg?.adverts ?? [],
      answers,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.store.transaction(() => {
      ctx.store.jobs.updateRound(job.id, round, { status: 'failed', closeReason: message });
      ctx.store.jobs.updateJob(job.id, {
        status: 'failed',
        failure: { code: 'UNMASK_FAILED', message },
      });
      recordEvent(ctx, job.id, 'job_failed', { round, detail: { code: 'UNMASK_FAILED', message } });
    });
    return;
  }
  ctx.store.transaction(() => {
    const cur = ctx.store.jobs.getRound(job.id, round) as RoundRecord;
    if (cur.status !== 'decrypting' || !cur.secagg || cur.secagg.correction) return;
    const next = { ...cur, secagg: { ...cur.secagg, correction: correction.map(String) } };
    ctx.store.jobs.updateRound(job.id, round, { secagg: next.secagg });
    recordEvent(ctx, job.id, 'secagg_unmasked', { round, detail: { answers: answers.length } });
    publishIfReady(ctx, job, next);
  });
}

/**
 * Publishes a decrypting round once both halves are in (call inside a transaction): two agreeing
 * decryptions (or the single one asked) of the masked sum, and the unmask correction. Returns
 * whether it published.
 */
export function publishIfReady(ctx: Ctx, job: JobRecord, r: RoundRecord): boolean {
  const correction = r.secagg?.correction;
  if (r.status !== 'decrypting' || !correction) return false;
  const all = ctx.store.jobs.decryptions(job.id, r.round);
  const first = all[0];
  if (!first) return false;
  const agreeing = all.filter((x) => x.values.join() === first.values.join());
  if (agreeing.length !== all.length) return false;
  if (agreeing.length < Math.min(2, (r.decryptors ?? []).length)) return false;
  const values = applyCorrection(
    first.values.map((v) => BigInt(v)),
    correction.map((v) => BigInt(v)),
    plainModulusOf(ctx, job)
  );
  publishRound(ctx, job, r, values);
  return true;
}
