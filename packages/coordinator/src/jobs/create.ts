import {
  JobSpecSchema,
  LOCAL_LAPLACE,
  ProtocolError,
  blockNoiseTail,
  bytesToHex,
  layoutOf,
  randomBytes,
  unitNoiseOf,
  type HeParamsId,
  type RoundNoise,
  type SegmentLayout,
  type SegmentQuery,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { jobParticipants } from './participants.ts';
import { recordEvent } from './events.ts';
import { roundCount, roundQuery } from './round-queries.ts';
import { MAX_ROWS_REMEDY, checkRoundCapacity } from './capacity.ts';
import { asStoredQuery, checkTrainCapacity, trainRoundPlan } from './train-rounds.ts';
import { clvRoundPlan } from './clv-rounds.ts';
import type { RoundEngine } from './rounds.ts';
import { preflightJob } from './preflight.ts';
import { createOverlapJob } from '../overlap/create.ts';

function layoutOrBadRequest(q: SegmentQuery, round: number): SegmentLayout {
  try {
    return layoutOf(q);
  } catch (err) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `round ${round} query: ${err instanceof Error ? err.message : String(err)}`
    );
  }
}

/**
 * Refuses a job whose aggregate could wrap around the plaintext modulus t (BFV sums are mod t:
 * docs/federation-protocol.md "Fixed point and BFV packing") or that needs more ciphertexts than
 * a submission may carry. Bound per slot: nodes x (maxRowsPerNode x per-row bound + noise tail).
 */
export function checkCapacity(
  layout: SegmentLayout,
  q: SegmentQuery,
  nodes: number,
  heParams: HeParamsId,
  maxRowsPerNode: number,
  round: number,
  noise: RoundNoise = LOCAL_LAPLACE
): void {
  const perNode = (b: SegmentLayout['blocks'][number]): bigint => {
    const perRow = b.sensitivity / BigInt(q.maxRowsPerCustomer);
    return BigInt(maxRowsPerNode) * perRow + blockNoiseTail(b, noise);
  };
  const remedy = `lower the clipping bounds or the fixed-point scale, or ${MAX_ROWS_REMEDY}`;
  checkRoundCapacity({
    round,
    slots: layout.length,
    blocks: layout.blocks,
    perNode,
    nodes,
    heParams,
    maxRowsPerNode,
    remedy,
  });
}

export function newJobId(): string {
  return `j-${bytesToHex(randomBytes(8))}`;
}

/**
 * Creates a job on the active key epoch and opens its first round. Participants default to
 * every member of the epoch; all must be members and at least minNodes of them.
 */
export function createJob(ctx: Ctx, engine: RoundEngine, body: unknown): { jobId: string } {
  const parsed = JobSpecSchema.parse(body);
  if (parsed.kind === 'overlap') return createOverlapJob(ctx, parsed);
  const spec = parsed;
  const { epoch, participants } = jobParticipants(ctx, spec);
  preflightJob(ctx, spec, participants);
  const heParams = epoch.heParams as HeParamsId;
  let first: { query: SegmentQuery; layout: { hash: string; length: number } } | undefined;
  if (spec.kind === 'train') {
    // Later rounds' layouts depend on the federated standardisation; round 0's is public now.
    const plan = trainRoundPlan(spec, 0, null);
    const noise = unitNoiseOf(spec, spec.train.epsilon, 1);
    checkTrainCapacity(plan, participants.length, heParams, ctx.maxRowsPerNode, 0, noise);
    first = {
      query: asStoredQuery(plan.query),
      layout: { hash: plan.layoutHash, length: plan.layoutLength },
    };
  } else if (spec.kind === 'clv') {
    // Each round's layout depends on the parameters published before it; round 0's is public.
    const capacity = {
      nodes: participants.length,
      heParams,
      maxRowsPerNode: ctx.maxRowsPerNode,
    };
    const plan = clvRoundPlan(spec, 0, null, capacity);
    first = { query: asStoredQuery(plan.query), layout: plan.layout };
  } else {
    for (let r = 0; r < roundCount(spec); r++) {
      const query = roundQuery(spec, r);
      const layout = layoutOrBadRequest(query, r);
      const noise = unitNoiseOf(spec, query.epsilon, 1);
      checkCapacity(layout, query, participants.length, heParams, ctx.maxRowsPerNode, r, noise);
      first ??= { query, layout };
    }
  }
  const { query, layout } = first as {
    query: SegmentQuery;
    layout: { hash: string; length: number };
  };
  const jobId = newJobId();
  const now = ctx.now();
  ctx.store.transaction(() => {
    ctx.store.jobs.insertJob({
      id: jobId,
      name: spec.name,
      kind: spec.kind,
      spec,
      keyId: epoch.keyId,
      participants,
      status: 'running',
      createdAt: new Date(now).toISOString(),
      failure: null,
      rfmMeans: null,
    });
    ctx.store.jobs.insertRound({
      jobId,
      round: 0,
      query,
      layoutHash: layout.hash,
      layoutLength: layout.length,
      openedAt: now,
      deadlineAt: now + spec.deadlineMs,
    });
    recordEvent(ctx, jobId, 'job_created', {
      detail: {
        name: spec.name,
        kind: spec.kind,
        keyId: epoch.keyId,
        participants,
        minNodes: spec.minNodes,
      },
    });
    recordEvent(ctx, jobId, 'round_opened', {
      round: 0,
      detail: {
        layoutHash: layout.hash,
        slots: layout.length,
        deadline: new Date(now + spec.deadlineMs).toISOString(),
      },
    });
  });
  ctx.log(
    `job ${jobId} (${spec.kind}) created on ${epoch.keyId} with ${participants.length} participants`
  );
  engine.schedule(jobId, 0);
  return { jobId };
}
