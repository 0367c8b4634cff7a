import {
  HE_PARAMS,
  ProtocolError,
  RECEIPT_DOMAIN,
  REFUSAL_DOMAIN,
  ROUND_SPEC_DOMAIN,
  ReceiptSchema,
  SUBMISSION_DOMAIN,
  SubmissionSchema,
  ciphertextHash,
  isProtocolError,
  layoutOf,
  maskRelease,
  receiptSigningPayload,
  roundNoiseOf,
  refusalSigningPayload,
  roundSpecHash,
  roundSpecSigningPayload,
  signCanonical,
  submissionSigningPayload,
  toBase64,
  verifyCanonical,
  type JobRoundTask,
} from '@fedmark/protocol';
import { appendLedgerEntry } from '../ledger/index.ts';
import { hasHeKey, loadHe, loadHeKey } from '../crypto/index.ts';
import { scrubWal } from '../erasure/index.ts';
import { publicReasonOf } from '../privacy/index.ts';
import { getAnswer, markAnswer, putAnswer, type StoredAnswer } from './submissions.ts';
import type { AgentContext } from './context.ts';
import { releaseTrainRound } from './train-round.ts';
import { releaseClvRound } from './clv-round.ts';
import type { OwnModelComparison } from '../training/index.ts';
import { maskingInputOf, type MaskingInput } from './secagg-input.ts';
import { requireInstalledEpoch } from './members.ts';
import { closeSecaggInput } from './secagg-store.ts';

/** Codes of the release path meaning "this node will not answer": sent back as a signed refusal. */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'POLICY_REFUSED',
  'BUDGET_EXCEEDED',
  'FORBIDDEN',
  'BAD_REQUEST',
  'CONFLICT',
  'LAYOUT_MISMATCH',
]);

function roundPath(jobId: string, round: number, kind: 'submission' | 'refusal'): string {
  return `/v1/node/jobs/${encodeURIComponent(jobId)}/rounds/${round}/${kind}`;
}

/** Sends (or re-sends, byte for byte) a stored answer and records the coordinator's verdict. */
export async function sendAnswer(ctx: AgentContext, a: StoredAnswer): Promise<void> {
  try {
    const res = await ctx.client.request(
      'POST',
      a.path,
      JSON.parse(a.body) as unknown,
      ReceiptSchema
    );
    // A receipt is the node's proof that it answered; check it when the coordinator key is known.
    const { version: _v, coordinatorSignature, ...signed } = res;
    const genuine =
      res.jobId === a.jobId &&
      res.round === a.round &&
      res.node === ctx.identity.name &&
      res.ciphertextHashes.join() === a.ciphertextHashes.join() &&
      (ctx.coordinatorKey === undefined ||
        verifyCanonical(
          RECEIPT_DOMAIN,
          receiptSigningPayload(signed),
          coordinatorSignature,
          ctx.coordinatorKey
        ));
    if (!genuine) ctx.log('receipt_invalid', { jobId: a.jobId, round: a.round });
    markAnswer(ctx.db, a.jobId, a.round, 'accepted', { receipt: res });
    ctx.log(a.kind === 'submission' ? 'submission_accepted' : 'refusal_accepted', {
      jobId: a.jobId,
      round: a.round,
    });
  } catch (err) {
    // The coordinator refused for good (round closed, conflicting earlier answer): stop re-sending.
    if (isProtocolError(err) && (err.code === 'DEADLINE_PASSED' || err.code === 'CONFLICT')) {
      markAnswer(ctx.db, a.jobId, a.round, 'rejected', { reason: `${err.code}: ${err.message}` });
    }
    throw err;
  }
}

async function refuse(
  ctx: AgentContext,
  task: JobRoundTask,
  reason: string,
  own: boolean
): Promise<void> {
  const body = {
    jobId: task.jobId,
    round: task.round,
    node: ctx.identity.name,
    // The hash of the spec as received, whatever the task claims (docs/federation-protocol.md).
    specHash: roundSpecHash(task.spec),
    reason: reason.slice(0, 1000),
  };
  const signature = signCanonical(
    REFUSAL_DOMAIN,
    refusalSigningPayload(body),
    ctx.identity.signing.secretKey
  );
  // Refusals the agent decides itself are recorded here; the release path records its own.
  if (own)
    appendLedgerEntry(ctx.db, {
      type: 'job_refused',
      body: { jobId: task.jobId, round: task.round, reason: body.reason },
    });
  // A refused round needs no masks: its secrets go with the answer (this node is then dropped,
  // and only its mask key is rebuilt, docs/secure-aggregation.md "Dropout guarantee").
  const stored = ctx.db
    .transaction(() => {
      const a = putAnswer(ctx.db, {
        jobId: task.jobId,
        round: task.round,
        kind: 'refusal',
        path: roundPath(task.jobId, task.round, 'refusal'),
        body: JSON.stringify({ version: 1, ...body, signature }),
        keyId: task.keyId,
        layoutHash: null,
        layoutLength: null,
        minNodes: task.spec.minNodes,
        ciphertextHashes: [],
      });
      closeSecaggInput(ctx.db, task.jobId, task.round, null);
      return a;
    })
    .immediate();
  scrubWal(ctx.db);
  ctx.log('round_refused', { jobId: task.jobId, round: task.round, reason: body.reason });
  await sendAnswer(ctx, stored);
}

/**
 * One job round: policy and release through the node's release path (noise, budget, ledger),
 * mask the noisy vector with this node's secure-aggregation secrets and the round's checked
 * advertisements (docs/secure-aggregation.md), encode and encrypt the masked vector with the
 * epoch's secret key (seeded symmetric), sign and submit. Or a signed refusal naming the rule.
 * The answer is stored before it is sent so a restart re-sends identical bytes, and the round's
 * secrets are erased in the same transaction. The local row count (`rows`) is never sent: the
 * layout's `total` block carries it, noised, inside the ciphertext.
 */
export async function handleJobRound(ctx: AgentContext, task: JobRoundTask): Promise<void> {
  const members = requireInstalledEpoch(ctx.db, ctx.dir, task.keyId, task.members);
  const previous = getAnswer(ctx.db, task.jobId, task.round);
  if (previous) {
    if (previous.status === 'rejected') return;
    ctx.log('answer_resent', { jobId: task.jobId, round: task.round, kind: previous.kind });
    return sendAnswer(ctx, previous);
  }
  if (Date.parse(task.spec.deadline) <= ctx.now()) {
    ctx.log('round_expired', {
      jobId: task.jobId,
      round: task.round,
      deadline: task.spec.deadline,
    });
    return;
  }
  // Bound round specs (docs/federation-protocol.md "Bound round specs"): the spec must be the
  // one the coordinator signed for this job round, so it cannot send nodes different specs
  // without the decryptors seeing different hashes.
  const specHash = roundSpecHash(task.spec);
  if (specHash !== task.specHash)
    return refuse(
      ctx,
      task,
      'SPEC_MISMATCH: the round spec does not hash to the specHash the task names',
      true
    );
  if (
    ctx.coordinatorKey !== undefined &&
    !verifyCanonical(
      ROUND_SPEC_DOMAIN,
      roundSpecSigningPayload({ jobId: task.jobId, round: task.round, specHash }),
      task.specSignature,
      ctx.coordinatorKey
    )
  )
    return refuse(
      ctx,
      task,
      'INVALID_SIGNATURE: the round spec is not signed by the pinned coordinator key',
      true
    );
  if (!hasHeKey(ctx.dir, task.keyId)) {
    return refuse(ctx, task, `this node does not hold HE key epoch ${task.keyId}`, true);
  }
  const masking = maskingInputOf(ctx, task, specHash, members);
  if ('refusal' in masking) return refuse(ctx, task, masking.refusal, true);
  try {
    await releaseAndSubmit(ctx, task, specHash, masking);
  } finally {
    masking.secrets.selfSecret.fill(0);
    masking.secrets.maskSecretKey.fill(0);
  }
}

/**
 * The own-model check's exact comparison, for this node's operator (its ledger has it too, as
 * `model_check`): aggregates of its own customers, never sent; the coordinator gets the noised
 * bit in the submission.
 */
function logOwnModelCheck(ctx: AgentContext, task: JobRoundTask, c: OwnModelComparison): void {
  ctx.log(c.better ? 'own_model_better' : 'own_model_check', {
    jobId: task.jobId,
    round: task.round,
    ownAuc: c.ownAuc,
    federatedAuc: c.federatedAuc,
    difference: c.difference,
    differenceSe: c.differenceSe,
    notCompared: c.notCompared,
  });
}

async function releaseAndSubmit(
  ctx: AgentContext,
  task: JobRoundTask,
  specHash: string,
  masking: MaskingInput
): Promise<void> {
  const policy = ctx.policy();
  const query = task.spec.query;
  // Distributed noise shares are sized for the round's threshold: no sum of fewer can be unmasked.
  const noiseTerms = {
    roundNoise: roundNoiseOf(task.spec, query, masking.threshold),
    secureAggregation: { threshold: masking.threshold },
  };
  let release: { layoutHash: string; values: bigint[]; reused: boolean };
  let layout: { hash: string; length: number };
  if (query.kind === 'train_round' || query.kind === 'clv_round') {
    const common = {
      jobId: task.jobId,
      round: task.round,
      noise: task.spec.noise,
      minNodes: task.spec.minNodes,
      ...noiseTerms,
    };
    try {
      if (query.kind === 'train_round') {
        const trained = releaseTrainRound(
          { db: ctx.db, identity: ctx.identity, policy },
          { ...common, query }
        );
        release = trained;
        if (trained.ownModelCheck) logOwnModelCheck(ctx, task, trained.ownModelCheck);
      } else {
        release = releaseClvRound(
          { db: ctx.db, identity: ctx.identity, policy },
          { ...common, query }
        );
      }
      // Both derived the layout themselves and checked it against the round's hash.
      layout = { hash: query.layoutHash, length: release.values.length };
    } catch (err) {
      if (isProtocolError(err) && REFUSAL_CODES.has(err.code))
        return refuse(ctx, task, `${err.code}: ${publicReasonOf(err)}`, false);
      throw err;
    }
  } else {
    try {
      layout = layoutOf(query);
    } catch (err) {
      return refuse(
        ctx,
        task,
        `query has no valid layout: ${err instanceof Error ? err.message : String(err)}`,
        true
      );
    }
    try {
      release = await ctx.release(
        { db: ctx.db, identity: ctx.identity, policy },
        {
          query,
          source: ctx.source(query),
          jobId: task.jobId,
          round: task.round,
          noise: task.spec.noise,
          minNodes: task.spec.minNodes,
          ...noiseTerms,
        }
      );
    } catch (err) {
      if (isProtocolError(err) && REFUSAL_CODES.has(err.code))
        return refuse(ctx, task, `${err.code}: ${publicReasonOf(err)}`, false);
      throw err;
    }
  }
  if (release.layoutHash !== layout.hash || release.values.length !== layout.length) {
    throw new ProtocolError(
      'LAYOUT_MISMATCH',
      `release for ${task.jobId}/${task.round} does not match the query layout`
    );
  }
  const key = loadHeKey(ctx.dir, task.keyId);
  const he = await loadHe(key.heParams);
  let ciphertexts: Uint8Array[];
  try {
    // Masked inside the BFV plaintext: decrypted alone (every member holds the key) this
    // contribution is uniform in Z_t; only the survivors' sum, unmasked, means anything.
    const masked = maskRelease(
      { jobId: task.jobId, round: task.round, modulus: HE_PARAMS[key.heParams].plainModulus },
      ctx.identity.name,
      release.values,
      masking.secrets,
      masking.adverts
    );
    ciphertexts = he.encryptSymmetric(masked, key.secretKey);
  } finally {
    key.secretKey.fill(0);
  }
  const ciphertextHashes = ciphertexts.map(ciphertextHash);
  const meta = {
    jobId: task.jobId,
    round: task.round,
    node: ctx.identity.name,
    keyId: task.keyId,
    layoutHash: layout.hash,
    specHash,
    ciphertextHashes,
    // What this node enforced, signed: its k, the round's epsilon, and the noise mode.
    enforced: { minCohort: policy.minCohort, epsilon: query.epsilon, noise: task.spec.noise },
  };
  const signature = signCanonical(
    SUBMISSION_DOMAIN,
    submissionSigningPayload(meta),
    ctx.identity.signing.secretKey
  );
  const body = SubmissionSchema.parse({
    version: 1,
    ...meta,
    ciphertexts: ciphertexts.map(toBase64),
    signature,
  });
  // The submission and the erasure of the secrets that masked it commit together: no state
  // holds a stored masked input and the secrets that would unmask it alone.
  const stored = ctx.db
    .transaction(() => {
      const a = putAnswer(ctx.db, {
        jobId: task.jobId,
        round: task.round,
        kind: 'submission',
        path: roundPath(task.jobId, task.round, 'submission'),
        body: JSON.stringify(body),
        keyId: task.keyId,
        layoutHash: layout.hash,
        layoutLength: layout.length,
        minNodes: task.spec.minNodes,
        ciphertextHashes,
      });
      closeSecaggInput(
        ctx.db,
        task.jobId,
        task.round,
        masking.adverts.map((a) => a.node)
      );
      return a;
    })
    .immediate();
  scrubWal(ctx.db);
  ctx.log('round_submitting', {
    jobId: task.jobId,
    round: task.round,
    ciphertexts: ciphertexts.length,
    reused: release.reused,
  });
  await sendAnswer(ctx, stored);
}
