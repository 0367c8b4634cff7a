import {
  REFUSAL_DOMAIN,
  RECEIPT_DOMAIN,
  RefusalSchema,
  SUBMISSION_DOMAIN,
  SubmissionSchema,
  ProtocolError,
  fromBase64,
  hexToBytes,
  receiptSigningPayload,
  refusalSigningPayload,
  sha256Hex,
  signCanonical,
  submissionSigningPayload,
  verifyCanonical,
  type Canonical,
  type HeParamsId,
  type Receipt,
} from '@fedmark/protocol';
import { z } from 'zod';
import type { Ctx } from '../context.ts';
import { zodMessage } from '../zod-message.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import { recordEvent } from './events.ts';
import { roundSpecHashOf } from './round-binding.ts';
import type { RoundEngine } from './rounds.ts';
import { thresholdOf } from './threshold.ts';

/** A round number in a path: a small non-negative integer without leading zeros. */
export const RoundParamSchema = z.string().regex(/^(0|[1-9][0-9]{0,3})$/);

export function parseRoundParam(s: string): number {
  if (!RoundParamSchema.safeParse(s).success)
    throw new ProtocolError(
      'BAD_REQUEST',
      `round must be a small non-negative integer, got ${JSON.stringify(s)}`
    );
  return Number(s);
}

export function jobAndRound(
  ctx: Ctx,
  jobId: string,
  round: number
): { job: JobRecord; r: RoundRecord } {
  const job = ctx.store.jobs.getJob(jobId);
  if (!job) throw new ProtocolError('NOT_FOUND', `no job ${jobId}`);
  const r = ctx.store.jobs.getRound(jobId, round);
  if (!r) throw new ProtocolError('NOT_FOUND', `job ${jobId} has no round ${round} (yet)`);
  return { job, r };
}

/**
 * A node's message must name the job and round of its path (400) and the node that signed the
 * request (403): `verb` says what it does (submit, refuse, answer).
 */
export function checkPathIds(
  body: { jobId: string; round: number; node: string },
  path: { jobId: string; round: number; node: string },
  verb: string
): void {
  if (body.jobId !== path.jobId || body.round !== path.round)
    throw new ProtocolError(
      'BAD_REQUEST',
      `body names job ${body.jobId} round ${body.round}, the path ${path.jobId} round ${path.round}`
    );
  if (body.node !== path.node)
    throw new ProtocolError('FORBIDDEN', `node ${path.node} cannot ${verb} for ${body.node}`);
}

/**
 * Throws INVALID_SIGNATURE unless `signature` is `node`'s over `payload` in `domain`: the one
 * check every signed node message gets before anything of it is used.
 */
export function requireSignedBy(
  ctx: Ctx,
  node: string,
  what: string,
  signed: { domain: string; payload: Canonical; signature: string }
): void {
  if (!verifyCanonical(signed.domain, signed.payload, signed.signature, signerKey(ctx, node)))
    throw new ProtocolError('INVALID_SIGNATURE', `${what} signature of ${node} does not verify`);
}

export function signerKey(ctx: Ctx, node: string): Uint8Array {
  const rec = ctx.store.nodes.get(node);
  if (!rec) throw new ProtocolError('UNAUTHORIZED', `node ${node} is not admitted`);
  return hexToBytes(rec.signingKey);
}

function receipt(
  ctx: Ctx,
  jobId: string,
  round: number,
  node: string,
  ciphertextHashes: string[]
): Receipt {
  const body = { jobId, round, node, ciphertextHashes, receivedAt: ctx.iso() };
  return {
    version: 1,
    ...body,
    coordinatorSignature: signCanonical(
      RECEIPT_DOMAIN,
      receiptSigningPayload(body),
      ctx.coordinatorKey.secretKey
    ),
  };
}

/** Closes the round first if its deadline passed, so a late message meets a closed round. */
async function openRoundOr409(
  ctx: Ctx,
  engine: RoundEngine,
  jobId: string,
  round: number
): Promise<RoundRecord> {
  await engine.evaluate(jobId, round);
  const r = ctx.store.jobs.getRound(jobId, round) as RoundRecord;
  if (r.status === 'setup')
    throw new ProtocolError(
      'CONFLICT',
      `round ${round} of job ${jobId} is in its secure-aggregation setup phase: no input yet`
    );
  if (r.status !== 'open')
    throw new ProtocolError(
      'DEADLINE_PASSED',
      `round ${round} of job ${jobId} is closed (${r.closeReason ?? r.status})`
    );
  return r;
}

/**
 * Accepts one node's encrypted contribution (docs/federation-protocol.md "Coordinator checks"):
 * schema, ids, signature, participation, idempotency, round open, key, layout, ciphertext count,
 * hashes and that each ciphertext loads under the epoch's HE parameters. Stored in one
 * transaction with its event; re-sending the identical submission returns the stored receipt.
 */
/**
 * Bound round specs (docs/federation-protocol.md): an answer names the hash of the spec it was
 * computed on (or refused). One that names another spec than this round's was not made for the
 * round the coordinator opened, and must not enter its aggregate or its refusal count.
 */
function checkSpecHash(job: JobRecord, r: RoundRecord, specHash: string, what: string): void {
  const expected = roundSpecHashOf(job, r);
  if (specHash !== expected)
    throw new ProtocolError(
      'CONFLICT',
      `${what} names round spec ${specHash.slice(0, 12)}…, round ${r.round} of job ${job.id} has spec ${expected.slice(0, 12)}…`
    );
}

export async function acceptSubmission(
  ctx: Ctx,
  engine: RoundEngine,
  node: string,
  jobId: string,
  roundParam: string,
  body: unknown
): Promise<Receipt> {
  const round = parseRoundParam(roundParam);
  const parsed = SubmissionSchema.safeParse(body);
  if (!parsed.success) {
    // Undecodable ciphertext fields are a ciphertext problem, reported as such (the rest is a schema error).
    const onlyCiphertexts = parsed.error.issues.every(
      (i) => i.path[0] === 'ciphertexts' && i.path.length === 2
    );
    if (onlyCiphertexts) throw new ProtocolError('BAD_CIPHERTEXT', zodMessage(parsed.error));
    throw parsed.error;
  }
  const sub = parsed.data;
  checkPathIds(sub, { jobId, round, node }, 'submit');
  requireSignedBy(ctx, node, 'submission', {
    domain: SUBMISSION_DOMAIN,
    payload: submissionSigningPayload(sub),
    signature: sub.signature,
  });
  const { job } = jobAndRound(ctx, jobId, round);
  if (!job.participants.includes(node))
    throw new ProtocolError('FORBIDDEN', `node ${node} is not a participant of job ${jobId}`);
  const previous = ctx.store.jobs.getSubmission(jobId, round, node);
  if (previous) {
    if (
      previous.ciphertextHashes.join() === sub.ciphertextHashes.join() &&
      previous.layoutHash === sub.layoutHash &&
      previous.specHash === sub.specHash &&
      previous.keyId === sub.keyId
    ) {
      return previous.receipt;
    }
    throw new ProtocolError(
      'CONFLICT',
      `node ${node} already submitted different ciphertexts for job ${jobId} round ${round}`
    );
  }
  if (ctx.store.jobs.getRefusal(jobId, round, node))
    throw new ProtocolError('CONFLICT', `node ${node} already refused job ${jobId} round ${round}`);
  const r = await openRoundOr409(ctx, engine, jobId, round);
  // Secure aggregation: only a node whose setup the round closed with masked its input with keys
  // the others can cancel (docs/secure-aggregation.md).
  if (!r.secagg?.adverts.some((a) => a.node === node))
    throw new ProtocolError(
      'FORBIDDEN',
      `node ${node} sent no secure-aggregation setup for job ${jobId} round ${round}`
    );
  if (sub.keyId !== job.keyId)
    throw new ProtocolError(
      'KEY_MISMATCH',
      `job ${jobId} runs on key ${job.keyId}, submission is under ${sub.keyId}`
    );
  if (sub.layoutHash !== r.layoutHash)
    throw new ProtocolError(
      'LAYOUT_MISMATCH',
      `layout hash ${sub.layoutHash.slice(0, 12)}… differs from round ${round}'s ${r.layoutHash.slice(0, 12)}…`
    );
  checkSpecHash(job, r, sub.specHash, 'submission');
  if (sub.enforced.noise !== job.spec.noise)
    throw new ProtocolError(
      'BAD_REQUEST',
      `enforced.noise ${sub.enforced.noise} differs from the job's ${job.spec.noise}`
    );
  if (Math.round(sub.enforced.epsilon * 1e6) !== Math.round(r.query.epsilon * 1e6)) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `enforced.epsilon ${sub.enforced.epsilon} differs from the round's ${r.query.epsilon}`
    );
  }
  const he = await ctx.heFor(
    (ctx.store.keys.get(job.keyId)?.heParams ?? DEFAULT_HE_PARAMS) as HeParamsId
  );
  const expected = he.ciphertextCount(r.layoutLength);
  if (sub.ciphertexts.length !== expected) {
    throw new ProtocolError(
      'BAD_CIPHERTEXT',
      `${sub.ciphertexts.length} ciphertexts for a ${r.layoutLength}-slot layout, expected ${expected}`
    );
  }
  const bytes = sub.ciphertexts.map((b, i) => {
    const ct = fromBase64(b, `ciphertexts[${i}]`);
    if (sha256Hex(ct) !== sub.ciphertextHashes[i])
      throw new ProtocolError(
        'BAD_CIPHERTEXT',
        `ciphertexts[${i}] does not match ciphertextHashes[${i}]`
      );
    he.loadCiphertext(ct, `ciphertexts[${i}]`);
    return ct;
  });
  const result = ctx.store.transaction(() => {
    const again = ctx.store.jobs.getSubmission(jobId, round, node);
    if (again)
      return again.ciphertextHashes.join() === sub.ciphertextHashes.join() ? again.receipt : null;
    const cur = ctx.store.jobs.getRound(jobId, round) as RoundRecord;
    if (cur.status !== 'open')
      throw new ProtocolError('DEADLINE_PASSED', `round ${round} of job ${jobId} closed meanwhile`);
    const rec = receipt(ctx, jobId, round, node, sub.ciphertextHashes);
    ctx.store.jobs.insertSubmission(
      {
        jobId,
        round,
        node,
        keyId: sub.keyId,
        layoutHash: sub.layoutHash,
        specHash: sub.specHash,
        ciphertextHashes: sub.ciphertextHashes,
        enforced: sub.enforced,
        signature: sub.signature,
        receivedAt: rec.receivedAt,
        receipt: rec,
      },
      bytes
    );
    const count = ctx.store.jobs.submissions(jobId, round).length;
    if (count >= thresholdOf(job) && cur.quorumAt === null)
      ctx.store.jobs.updateRound(jobId, round, { quorumAt: ctx.now() });
    recordEvent(ctx, jobId, 'submission_accepted', {
      round,
      node,
      detail: { ciphertexts: bytes.length, submitted: count, of: job.participants.length },
    });
    return rec;
  });
  if (result === null)
    throw new ProtocolError(
      'CONFLICT',
      `node ${node} already submitted different ciphertexts for job ${jobId} round ${round}`
    );
  await engine.evaluate(jobId, round);
  return result;
}

/** Records a node's signed refusal (its policy said no) with the reason it gave. */
export async function acceptRefusal(
  ctx: Ctx,
  engine: RoundEngine,
  node: string,
  jobId: string,
  roundParam: string,
  body: unknown
): Promise<Receipt> {
  const round = parseRoundParam(roundParam);
  const ref = RefusalSchema.parse(body);
  checkPathIds(ref, { jobId, round, node }, 'refuse');
  requireSignedBy(ctx, node, 'refusal', {
    domain: REFUSAL_DOMAIN,
    payload: refusalSigningPayload(ref),
    signature: ref.signature,
  });
  const { job } = jobAndRound(ctx, jobId, round);
  if (!job.participants.includes(node))
    throw new ProtocolError('FORBIDDEN', `node ${node} is not a participant of job ${jobId}`);
  const previous = ctx.store.jobs.getRefusal(jobId, round, node);
  if (previous) {
    if (previous.reason === ref.reason) return previous.receipt;
    throw new ProtocolError(
      'CONFLICT',
      `node ${node} already refused job ${jobId} round ${round} for another reason`
    );
  }
  if (ctx.store.jobs.getSubmission(jobId, round, node))
    throw new ProtocolError(
      'CONFLICT',
      `node ${node} already submitted to job ${jobId} round ${round}`
    );
  const open = await openRoundOr409(ctx, engine, jobId, round);
  // Masked input expects answers only from the nodes whose setups the round closed with: a
  // refusal from another participant would count against their quorum.
  if (!open.secagg?.adverts.some((a) => a.node === node))
    throw new ProtocolError(
      'FORBIDDEN',
      `node ${node} sent no secure-aggregation setup for job ${jobId} round ${round}`
    );
  checkSpecHash(job, open, ref.specHash, 'refusal');
  const rec = ctx.store.transaction(() => {
    const cur = ctx.store.jobs.getRound(jobId, round) as RoundRecord;
    if (cur.status !== 'open')
      throw new ProtocolError('DEADLINE_PASSED', `round ${round} of job ${jobId} closed meanwhile`);
    const existing = ctx.store.jobs.getRefusal(jobId, round, node);
    if (existing) return existing.receipt;
    const r = receipt(ctx, jobId, round, node, []);
    ctx.store.jobs.insertRefusal({
      jobId,
      round,
      node,
      reason: ref.reason,
      signature: ref.signature,
      receipt: r,
    });
    recordEvent(ctx, jobId, 'refusal_recorded', { round, node, detail: { reason: ref.reason } });
    return r;
  });
  await engine.evaluate(jobId, round);
  return rec;
}
