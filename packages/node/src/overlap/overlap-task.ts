import {
  OVERLAP_MESSAGE_DOMAIN,
  OVERLAP_REFUSAL_DOMAIN,
  OVERLAP_RELEASE_DOMAIN,
  OVERLAP_SPEC_DOMAIN,
  PSI_POINT_BYTES,
  PsiSecret,
  ProtocolError,
  epsilonToMicro,
  evaluateRound,
  hashPsiDummies,
  hexToBytes,
  isProtocolError,
  openOverlapPayload,
  overlapMessageSigningPayload,
  overlapNoiseBound,
  overlapPaddedSize,
  overlapRefusalSigningPayload,
  overlapReleaseSigningPayload,
  overlapSpecHash,
  overlapSpecSigningPayload,
  packPsiReply,
  psiInitiatorCount,
  psiInitiatorRequest,
  psiResponderReply,
  pureSpend,
  randomPsiPoints,
  sealOverlapPayload,
  signCanonical,
  unpackPsiReply,
  verifyCanonical,
  DEFAULT_MIN_MATCH_SET_SIZE,
  type Member,
  type OverlapMessage,
  type OverlapTask,
  type Policy,
} from '@fedmark/protocol';
import { z } from 'zod';
import { hashMatchingKeysInParallel } from './parallel-hash.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import { checkBudget, jobSpend } from '../privacy/budget.ts';
import type { AgentContext } from '../federation/context.ts';
import { requireInstalledEpoch } from '../federation/members.ts';
import { REFUSAL_CODES } from '../federation/job-round.ts';
import { matchingSet, type MatchingSet } from './matching-set.ts';
import { overlapDummyCount } from './overlap-noise.ts';
import { getOverlapAnswer, type OverlapAnswer } from './overlap-answers.ts';
import { recordOverlapRelease } from './overlap-release.ts';
import { psiRunKey, type PsiRuns } from './psi-run-secrets.ts';

const AckSchema = z.object({ version: z.literal(1), stage: z.string() });
const MESSAGES = '/v1/node/overlap/messages';
const RELEASES = '/v1/node/overlap/releases';
const REFUSALS = '/v1/node/overlap/refusals';

/** The federation a match is keyed to: its coordinator's pinned key, the same at every member. */
function federationIdOf(ctx: AgentContext): string {
  if (!ctx.coordinatorKey)
    throw new ProtocolError(
      'POLICY_REFUSED',
      'overlap jobs need the coordinator key pinned at enrollment (coordinator.json): it keys the match to this federation'
    );
  return `fed-${Buffer.from(ctx.coordinatorKey).toString('hex').slice(0, 32)}`;
}

/** Public dummy keys of a pair: both nodes derive the same ones from the job and the pair. */
function dummies(ctx: AgentContext, task: OverlapTask, count: number): Uint8Array {
  return hashPsiDummies({
    federationId: federationIdOf(ctx),
    scope: `${task.jobId}:${task.pair}`,
    from: 0,
    count,
  });
}

/**
 * Own keys, then `matching` dummies, then random padding up to the public bucket of `sizeFor`.
 * The keys are hashed on worker threads (parallel-hash.ts): it is most of the step's time.
 */
async function ownPoints(
  ctx: AgentContext,
  task: OverlapTask,
  set: MatchingSet,
  matching: number,
  sizeFor: number
): Promise<Uint8Array> {
  const keys = await hashMatchingKeysInParallel(
    federationIdOf(ctx),
    task.spec.overlap.matchingKey,
    set.keys
  );
  const padding = overlapPaddedSize(sizeFor) - set.keys.length - matching;
  return Buffer.concat([keys, dummies(ctx, task, matching), randomPsiPoints(padding)]);
}

/** The policy's decision on this pair: kind, purpose, epsilon per job, noise switch, budget. */
function checkPolicy(ctx: AgentContext, policy: Policy, task: OverlapTask): void {
  const epsilonMicro = epsilonToMicro(task.spec.overlap.epsilon);
  const d = evaluateRound(policy, {
    kind: 'overlap',
    purpose: task.spec.overlap.purpose,
    spend: pureSpend(epsilonMicro),
    mechanism: 'distributed-laplace',
    noise: task.spec.noise,
    jobSpent: jobSpend(ctx.db, task.jobId, task.pair),
  });
  if (!d.ok) throw new ProtocolError('POLICY_REFUSED', d.reason);
  checkBudget(ctx.db, policy, task.spec.overlap.purpose, epsilonMicro);
}

function matchingOrRefuse(ctx: AgentContext, policy: Policy, task: OverlapTask): MatchingSet {
  const set = matchingSet(ctx.db, policy, task.spec.overlap.matchingKey, task.spec.overlap.purpose);
  const min = policy.minMatchSetSize ?? DEFAULT_MIN_MATCH_SET_SIZE;
  if (set.keys.length < min)
    throw new ProtocolError(
      'POLICY_REFUSED',
      `this node holds fewer consenting customers with a "${task.spec.overlap.matchingKey}" key than its minMatchSetSize ${min}`
    );
  ctx.log('overlap_set', {
    jobId: task.jobId,
    pair: task.pair,
    refused: set.refused,
    missing: set.missing,
    duplicates: set.duplicates,
  });
  return set;
}

function peerOf(
  members: readonly Member[],
  name: string
): { signing: Uint8Array; box: Uint8Array } {
  const m = members.find((x) => x.name === name);
  if (!m) throw new ProtocolError('FORBIDDEN', `${name} is not a member of this node's key epoch`);
  return { signing: hexToBytes(m.signingKey), box: hexToBytes(m.boxKey) };
}

/** Checks the peer's message: the pinned peer signed it, for this job, pair, step and spec. */
function openPeerMessage(
  ctx: AgentContext,
  task: OverlapTask,
  m: OverlapMessage | undefined,
  step: 'request' | 'reply',
  peer: { name: string; signing: Uint8Array; box: Uint8Array }
): Uint8Array {
  if (!m) throw new ProtocolError('BAD_REQUEST', `the ${task.step} task carries no ${step}`);
  const { version: _v, sealed: _s, signature, ...signed } = m;
  if (
    m.jobId !== task.jobId ||
    m.pair !== task.pair ||
    m.step !== step ||
    m.from !== peer.name ||
    m.to !== ctx.identity.name ||
    m.specHash !== task.specHash ||
    !verifyCanonical(
      OVERLAP_MESSAGE_DOMAIN,
      overlapMessageSigningPayload(signed),
      signature,
      peer.signing
    )
  )
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `the ${step} is not one ${peer.name} signed for job ${task.jobId} pair ${task.pair}`
    );
  return openOverlapPayload(m, peer.box, ctx.identity.box.secretKey);
}

function message(
  ctx: AgentContext,
  task: OverlapTask,
  step: 'request' | 'reply',
  to: { name: string; box: Uint8Array },
  payload: Uint8Array
): OverlapMessage {
  const { sealed, sealedHashes } = sealOverlapPayload(payload, to.box, ctx.identity.box.secretKey);
  const signed = {
    jobId: task.jobId,
    pair: task.pair,
    step,
    from: ctx.identity.name,
    to: to.name,
    specHash: task.specHash,
    sealedHashes,
  };
  const signature = signCanonical(
    OVERLAP_MESSAGE_DOMAIN,
    overlapMessageSigningPayload(signed),
    ctx.identity.signing.secretKey
  );
  return { version: 1, ...signed, sealed, signature };
}

/**
 * A coordinator's refusal of an answer is not this node's refusal of the pair: it surfaces as a
 * plain error (logged, the task left to the coordinator's state), never as a signed refusal.
 */
async function send(ctx: AgentContext, a: OverlapAnswer): Promise<void> {
  try {
    await ctx.client.request('POST', a.path, a.body, AckSchema);
  } catch (err) {
    if (isProtocolError(err))
      throw new Error(`the coordinator did not take ${a.path}: ${err.code}: ${err.message}`);
    throw err;
  }
}

async function request(ctx: AgentContext, task: OverlapTask, runs: PsiRuns, members: Member[]) {
  const policy = ctx.policy();
  checkPolicy(ctx, policy, task);
  const set = matchingOrRefuse(ctx, policy, task);
  const epsilonMicro = epsilonToMicro(task.spec.overlap.epsilon);
  const bound = task.spec.noise === 'on' ? overlapNoiseBound(epsilonMicro) : 0;
  // All 2K dummies: the responder includes K + L of them, so exactly that many match.
  const points = await ownPoints(ctx, task, set, 2 * bound, set.keys.length + 2 * bound);
  const secret = PsiSecret.random();
  const blinded = psiInitiatorRequest({ secret, ownPoints: points });
  runs.get(psiRunKey(task.jobId, task.pair))?.secret.destroy();
  runs.set(psiRunKey(task.jobId, task.pair), {
    secret,
    requestSize: blinded.length / PSI_POINT_BYTES,
    customers: set.customers,
    bound,
  });
  const to = { name: task.responder, ...peerOf(members, task.responder) };
  await send(ctx, { path: MESSAGES, body: message(ctx, task, 'request', to, blinded) });
  ctx.log('overlap_request_sent', { jobId: task.jobId, pair: task.pair });
}

async function reply(ctx: AgentContext, task: OverlapTask, members: Member[]) {
  const stored = getOverlapAnswer(ctx.db, task.jobId, task.pair, 'reply');
  if (stored) return send(ctx, stored);
  const policy = ctx.policy();
  checkPolicy(ctx, policy, task);
  const peer = { name: task.initiator, ...peerOf(members, task.initiator) };
  const requestPoints = openPeerMessage(ctx, task, task.message, 'request', peer);
  const set = matchingOrRefuse(ctx, policy, task);
  const epsilonMicro = epsilonToMicro(task.spec.overlap.epsilon);
  const bound = task.spec.noise === 'on' ? overlapNoiseBound(epsilonMicro) : 0;
  const matching = bound === 0 ? 0 : overlapDummyCount(epsilonMicro, bound);
  // Padded as if all 2K dummies were in, so the set's size says nothing about the noise drawn.
  const points = await ownPoints(ctx, task, set, matching, set.keys.length + 2 * bound);
  const secret = PsiSecret.random();
  try {
    const answer = psiResponderReply({ secret, request: requestPoints, ownPoints: points });
    const body = message(ctx, task, 'reply', peer, packPsiReply(answer));
    recordOverlapRelease(ctx.db, ctx.identity, policy, {
      jobId: task.jobId,
      pair: task.pair,
      spec: task.spec,
      role: 'responder',
      peer: task.initiator,
      bound,
      customers: set.customers,
      answer: { step: 'reply', path: MESSAGES, body },
    });
    await send(ctx, { path: MESSAGES, body });
    ctx.log('overlap_reply_sent', { jobId: task.jobId, pair: task.pair });
  } finally {
    secret.destroy();
  }
}

async function count(ctx: AgentContext, task: OverlapTask, runs: PsiRuns, members: Member[]) {
  const stored = getOverlapAnswer(ctx.db, task.jobId, task.pair, 'count');
  if (stored) return send(ctx, stored);
  const run = runs.get(psiRunKey(task.jobId, task.pair));
  if (!run)
    throw new ProtocolError(
      'CONFLICT',
      'the secret of this PSI run is gone (the node restarted after its request); the pair cannot be counted'
    );
  const policy = ctx.policy();
  checkPolicy(ctx, policy, task);
  const peer = { name: task.responder, ...peerOf(members, task.responder) };
  try {
    const reply = unpackPsiReply(openPeerMessage(ctx, task, task.message, 'reply', peer));
    const { intersectionSize } = psiInitiatorCount({
      secret: run.secret,
      requestSize: run.requestSize,
      reply,
    });
    const signed = {
      jobId: task.jobId,
      pair: task.pair,
      node: ctx.identity.name,
      peer: task.responder,
      specHash: task.specHash,
      // |X ∩ Y| + (K + L) matching dummies - K: the figure carries the responder's noise L only.
      raw: intersectionSize - run.bound,
      noise: task.spec.noise,
      epsilonMicro: epsilonToMicro(task.spec.overlap.epsilon),
      bound: run.bound,
    };
    const signature = signCanonical(
      OVERLAP_RELEASE_DOMAIN,
      overlapReleaseSigningPayload(signed),
      ctx.identity.signing.secretKey
    );
    const body = { version: 1 as const, ...signed, signature };
    recordOverlapRelease(ctx.db, ctx.identity, policy, {
      jobId: task.jobId,
      pair: task.pair,
      spec: task.spec,
      role: 'initiator',
      peer: task.responder,
      bound: run.bound,
      customers: run.customers,
      raw: signed.raw,
      answer: { step: 'count', path: RELEASES, body },
    });
    await send(ctx, { path: RELEASES, body });
    ctx.log('overlap_released', { jobId: task.jobId, pair: task.pair });
  } finally {
    run.secret.destroy();
    runs.delete(psiRunKey(task.jobId, task.pair));
  }
}

/**
 * The round path's refusal codes, and a peer message that does not verify or a peer whose keys
 * are not the pinned ones: sent back as a signed refusal of the pair.
 */
const OVERLAP_REFUSAL_CODES = new Set([...REFUSAL_CODES, 'INVALID_SIGNATURE', 'KEY_MISMATCH']);

async function refuse(ctx: AgentContext, task: OverlapTask, reason: string): Promise<void> {
  const signed = {
    jobId: task.jobId,
    pair: task.pair,
    node: ctx.identity.name,
    specHash: overlapSpecHash(task.spec),
    reason: reason.slice(0, 1000),
  };
  appendLedgerEntry(ctx.db, {
    type: 'job_refused',
    body: { jobId: task.jobId, round: task.pair, kind: 'overlap', reason: signed.reason },
  });
  const signature = signCanonical(
    OVERLAP_REFUSAL_DOMAIN,
    overlapRefusalSigningPayload(signed),
    ctx.identity.signing.secretKey
  );
  await send(ctx, { path: REFUSALS, body: { version: 1, ...signed, signature } });
  ctx.log('overlap_refused', { jobId: task.jobId, pair: task.pair, reason: signed.reason });
}

/**
 * One step of one overlap pair (docs/overlap.md "Steps"). The spec must be the one the pinned
 * coordinator signed; the peer's keys come from this node's pinned member list, never from the
 * task. A policy, budget or peer-message fault refuses the pair with a signed reason.
 */
export async function handleOverlap(
  ctx: AgentContext,
  task: OverlapTask,
  runs: PsiRuns
): Promise<void> {
  try {
    const specHash = overlapSpecHash(task.spec);
    if (specHash !== task.specHash)
      throw new ProtocolError(
        'BAD_REQUEST',
        'the overlap spec does not hash to the specHash the task names'
      );
    if (
      ctx.coordinatorKey === undefined ||
      !verifyCanonical(
        OVERLAP_SPEC_DOMAIN,
        overlapSpecSigningPayload({ jobId: task.jobId, specHash }),
        task.specSignature,
        ctx.coordinatorKey
      )
    )
      throw new ProtocolError(
        'INVALID_SIGNATURE',
        'the overlap spec is not signed by the pinned coordinator key'
      );
    const me = ctx.identity.name;
    const mine = task.step === 'reply' ? task.responder : task.initiator;
    if (mine !== me)
      throw new ProtocolError(
        'FORBIDDEN',
        `the ${task.step} of pair ${task.pair} is not this node's`
      );
    const members = requireInstalledEpoch(ctx.db, ctx.dir, task.keyId);
    if (task.step === 'request') return await request(ctx, task, runs, members);
    if (task.step === 'reply') return await reply(ctx, task, members);
    return await count(ctx, task, runs, members);
  } catch (err) {
    if (
      isProtocolError(err) &&
      OVERLAP_REFUSAL_CODES.has(err.code) &&
      !getOverlapAnswer(ctx.db, task.jobId, task.pair, task.step)
    )
      return refuse(ctx, task, `${err.code}: ${err.message}`);
    throw err;
  }
}
