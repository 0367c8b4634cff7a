import {
  OVERLAP_MESSAGE_DOMAIN,
  OVERLAP_REFUSAL_DOMAIN,
  OVERLAP_RELEASE_DOMAIN,
  OverlapMessageSchema,
  OverlapRefusalSchema,
  OverlapReleaseSchema,
  ProtocolError,
  epsilonToMicro,
  overlapMessageSigningPayload,
  overlapNoiseBound,
  overlapRefusalSigningPayload,
  overlapReleaseSigningPayload,
  overlapSpecHash,
} from '@fedmark/protocol';
import type { ZodType } from 'zod';
import type { Ctx } from '../context.ts';
import { zodMessage } from '../zod-message.ts';
import { requireSignedBy } from '../jobs/submissions.ts';
import type { OverlapJobRecord, OverlapPairRecord } from '../store/index.ts';
import { pairStage } from './pair-steps.ts';
import { settleOverlapJob } from './settle.ts';

export type OverlapAck = { version: 1; stage: string };

function parseOr400<T>(schema: ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new ProtocolError('BAD_REQUEST', `${what}: ${zodMessage(r.error)}`);
  return r.data;
}

/** The running job and pair a node's answer is for, with the spec hash the answer must name. */
function openPair(
  ctx: Ctx,
  jobId: string,
  pair: number,
  specHash: string
): { job: OverlapJobRecord; p: OverlapPairRecord } {
  const found = ctx.store.overlaps.getJob(jobId);
  if (!found) throw new ProtocolError('NOT_FOUND', `no overlap job ${jobId}`);
  const job = settleOverlapJob(ctx, found);
  if (job.status !== 'running')
    throw new ProtocolError('DEADLINE_PASSED', `overlap job ${jobId} is ${job.status}`);
  const p = ctx.store.overlaps.getPair(jobId, pair);
  if (!p) throw new ProtocolError('NOT_FOUND', `overlap job ${jobId} has no pair ${pair}`);
  if (specHash !== overlapSpecHash(job.spec))
    throw new ProtocolError('CONFLICT', `specHash does not match overlap job ${jobId}'s spec`);
  return { job, p };
}

function ack(ctx: Ctx, job: OverlapJobRecord, pair: number): OverlapAck {
  settleOverlapJob(ctx, ctx.store.overlaps.getJob(job.id) ?? job);
  const p = ctx.store.overlaps.getPair(job.id, pair);
  return { version: 1, stage: p ? pairStage(p).stage : 'unknown' };
}

function store(
  ctx: Ctx,
  jobId: string,
  pair: number,
  step: 'request' | 'reply' | 'release' | 'refusal',
  body: Parameters<Ctx['store']['overlaps']['setStep']>[3]
): void {
  if (!ctx.store.overlaps.setStep(jobId, pair, step, body))
    throw new ProtocolError('CONFLICT', `pair ${pair} of job ${jobId} already has its ${step}`);
}

/**
 * A PSI message from a pair's node to its peer (docs/overlap.md "Messages"): only the node whose
 * step it is may send it, addressed to the pair's other node, signed by the sender. The sealed
 * chunks are stored as they came; the coordinator cannot open them.
 */
export function acceptOverlapMessage(ctx: Ctx, node: string, body: unknown): OverlapAck {
  const m = parseOr400(OverlapMessageSchema, body, 'overlap message');
  const { job, p } = openPair(ctx, m.jobId, m.pair, m.specHash);
  const next = pairStage(p);
  const [from, to] = m.step === 'request' ? [p.initiator, p.responder] : [p.responder, p.initiator];
  if (m.from !== node || from !== node || m.to !== to)
    throw new ProtocolError(
      'FORBIDDEN',
      `a ${m.step} of pair ${p.pair} goes from ${from} to ${to}`
    );
  if (next.stage !== m.step)
    throw new ProtocolError(
      'CONFLICT',
      `pair ${p.pair} is waiting for its ${next.stage}, not a ${m.step}`
    );
  requireSignedBy(ctx, node, 'overlap message', {
    domain: OVERLAP_MESSAGE_DOMAIN,
    payload: overlapMessageSigningPayload(m),
    signature: m.signature,
  });
  store(ctx, job.id, p.pair, m.step, m);
  return ack(ctx, job, p.pair);
}

/** The initiator's figure: its parameters must be the job's (epsilon, noise, the bound they imply). */
export function acceptOverlapRelease(ctx: Ctx, node: string, body: unknown): OverlapAck {
  const r = parseOr400(OverlapReleaseSchema, body, 'overlap release');
  const { job, p } = openPair(ctx, r.jobId, r.pair, r.specHash);
  if (r.node !== node || p.initiator !== node || r.peer !== p.responder)
    throw new ProtocolError('FORBIDDEN', `pair ${p.pair}'s figure comes from ${p.initiator}`);
  if (pairStage(p).stage !== 'count')
    throw new ProtocolError('CONFLICT', `pair ${p.pair} is not waiting for its figure`);
  const epsilonMicro = epsilonToMicro(job.spec.overlap.epsilon);
  const bound = job.spec.noise === 'on' ? overlapNoiseBound(epsilonMicro) : 0;
  if (r.epsilonMicro !== epsilonMicro || r.noise !== job.spec.noise || r.bound !== bound)
    throw new ProtocolError(
      'BAD_REQUEST',
      `overlap release: epsilon, noise and bound must be the job's (${epsilonMicro}, ${job.spec.noise}, ${bound})`
    );
  requireSignedBy(ctx, node, 'overlap release', {
    domain: OVERLAP_RELEASE_DOMAIN,
    payload: overlapReleaseSigningPayload(r),
    signature: r.signature,
  });
  store(ctx, job.id, p.pair, 'release', r);
  return ack(ctx, job, p.pair);
}

/** Either node of an unfinished pair may refuse it, with a signed reason; the pair then fails. */
export function acceptOverlapRefusal(ctx: Ctx, node: string, body: unknown): OverlapAck {
  const r = parseOr400(OverlapRefusalSchema, body, 'overlap refusal');
  const { job, p } = openPair(ctx, r.jobId, r.pair, r.specHash);
  if (r.node !== node || (p.initiator !== node && p.responder !== node))
    throw new ProtocolError('FORBIDDEN', `${node} is not in pair ${p.pair}`);
  const stage = pairStage(p).stage;
  if (stage === 'published' || stage === 'failed')
    throw new ProtocolError('CONFLICT', `pair ${p.pair} is already ${stage}`);
  requireSignedBy(ctx, node, 'overlap refusal', {
    domain: OVERLAP_REFUSAL_DOMAIN,
    payload: overlapRefusalSigningPayload(r),
    signature: r.signature,
  });
  store(ctx, job.id, p.pair, 'refusal', r);
  ctx.log(`job ${job.id} pair ${p.pair} refused by ${node}: ${r.reason}`, 'warn');
  return ack(ctx, job, p.pair);
}
