import { beforeAll, describe, expect, it } from 'vitest';
import {
  SegmentStatsJobSpecSchema,
  TrainSpecSchema,
  layoutOf,
  standardisationLayout,
  type He,
} from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import {
  federation,
  harness,
  json,
  makeRefusal,
  specHashOf,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import { postMasked, setupRound, submitMasked, unmaskAndDecrypt } from './_secagg-testing.ts';
import { churnTrainInput, trainJobSpec } from './_train-testing.ts';

/**
 * Nodes that refuse a round (here: too few eligible rows, docs/models.md §9 "Too few rows") are
 * excluded from it, and the job says so: its status and result list each excluded node with the
 * rounds and the reason it signed, and a job the exclusions leave below its quorum fails naming
 * them (docs/federation-protocol.md "Closing").
 */
const nodes = [
  testNode('n1', 41),
  testNode('n2', 42),
  testNode('n3', 43),
  testNode('n4', 44),
] as const;
const spec = {
  version: 1,
  kind: 'segment_stats',
  name: 'count',
  minNodes: 3,
  stragglerWaitMs: 2000,
  deadlineMs: 60_000,
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 1,
    dimensions: [{ field: 'nes_status', categories: ['new', 'E0'] }],
  },
};
const layout = layoutOf(SegmentStatsJobSpecSchema.parse(spec).query);
const tooFew = (n: string) =>
  `POLICY_REFUSED: node ${n} holds fewer eligible rows than its minRowsPerJob.segment_stats 20`;

let he: He;
let keys: { secretKey: Uint8Array; publicKey: Uint8Array };
beforeAll(async () => {
  he = await heFor(DEFAULT_HE_PARAMS);
  keys = he.generateKeys();
});

async function openRound(): Promise<{ h: Harness; jobId: string; keyId: string }> {
  const h = harness({ heFor });
  const keyId = await federation(h, [...nodes], keys.publicKey);
  const res = await h.op('POST', '/v1/jobs', spec);
  expect(res.status).toBe(201);
  const jobId = (await res.json()).jobId;
  await setupRound(h, nodes, jobId, 0);
  return { h, jobId, keyId };
}

async function refuse(
  h: Harness,
  jobId: string,
  n: TestNode,
  reason = tooFew(n.name)
): Promise<void> {
  const body = makeRefusal(n, { jobId, round: 0, specHash: specHashOf(h, jobId, 0) }, reason);
  expect((await h.node(n, 'POST', `/v1/node/jobs/${jobId}/rounds/0/refusal`, body)).status).toBe(
    200
  );
}

describe('nodes excluded from a round', () => {
  it('are listed with their reason in the status and the result, and the job publishes with the others', async () => {
    const { h, jobId, keyId } = await openRound();
    await refuse(h, jobId, nodes[3]);
    const values = Array.from({ length: layout.length }, (_, i) => BigInt(i + 1));
    for (const n of nodes.slice(0, 3)) {
      const s = { jobId, round: 0, keyId, layoutHash: layout.hash, values, epsilon: 1 };
      expect((await postMasked(h, he, keys.secretKey, n, s)).status).toBe(200);
    }
    const excluded = [{ node: 'n4', rounds: [0], reason: tooFew('n4') }];
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[0]).toMatchObject({
      status: 'decrypting',
      closeReason: 'all 4 participants answered',
    });
    expect(status.excluded).toEqual(excluded);
    await unmaskAndDecrypt(h, he, keys.secretKey, [...nodes], {
      jobId,
      round: 0,
      layoutHash: layout.hash,
    });
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('published');
    expect(result.rounds[0].contributingNodes).toEqual(['n1', 'n2', 'n3']);
    expect(result.excluded).toEqual(excluded);
  });

  it('fail the job when the rest cannot reach the quorum, naming each excluded node and why', async () => {
    const { h, jobId } = await openRound();
    await refuse(h, jobId, nodes[2]);
    await refuse(h, jobId, nodes[3]);
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.status).toBe('failed');
    expect(status.failure).toEqual({
      code: 'QUORUM_NOT_MET',
      message: `0 of 3 required nodes submitted and 2 refused: the minimum can no longer be reached; refused: n3 (${tooFew('n3')}), n4 (${tooFew('n4')})`,
    });
    expect(status.excluded).toEqual([
      { node: 'n3', rounds: [0], reason: tooFew('n3') },
      { node: 'n4', rounds: [0], reason: tooFew('n4') },
    ]);
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.failure).toEqual(status.failure);
    expect(result.excluded).toEqual(status.excluded);
  });

  it('sit out the later rounds of the job: not asked to set them up, shown excluded', async () => {
    const h = harness({ heFor });
    const keyId = await federation(h, [...nodes], keys.publicKey);
    const input = churnTrainInput({ rounds: 1, contract: false });
    const spec = { ...trainJobSpec('churn', input), stragglerWaitMs: 60_000 };
    const created = await h.op('POST', '/v1/jobs', spec);
    expect(created.status).toBe(201);
    const { jobId } = await json(created);
    await setupRound(h, nodes, jobId, 0);
    const reason =
      'POLICY_REFUSED: node n4 holds fewer eligible rows than its minRowsPerJob.train 100';
    await refuse(h, jobId, nodes[3], reason);
    // Round 0 (standardisation) from the other three: 100 customers each, 30 positive.
    const sLayout = standardisationLayout(TrainSpecSchema.parse(input));
    await submitMasked(h, he, keys.secretKey, nodes.slice(0, 3), {
      jobId,
      round: 0,
      keyId,
      layoutHash: sLayout.hash,
      values: [100n, 30n, 100n, 1638400n, 1638400n],
      epsilon: sLayout.epsilonMicro / 1e6,
    });
    await unmaskAndDecrypt(h, he, keys.secretKey, [...nodes], {
      jobId,
      round: 0,
      layoutHash: sLayout.hash,
    });
    expect(h.store.jobs.getRound(jobId, 1)?.status).toBe('setup');
    expect((await json(await h.node(nodes[3], 'GET', '/v1/node/tasks'))).tasks).toEqual([]);
    expect((await json(await h.node(nodes[0], 'GET', '/v1/node/tasks'))).tasks).toEqual([
      expect.objectContaining({
        type: 'secagg_setup',
        round: 1,
        participants: ['n1', 'n2', 'n3'],
        threshold: 3,
      }),
    ]);
    // The job's threshold stays 3 of its 4 participants: still a majority of the 3 asked.
    await setupRound(h, nodes.slice(0, 3), jobId, 1, { close: false });
    const round1 = h.store.jobs.getRound(jobId, 1);
    expect(round1?.status).toBe('open');
    expect(round1?.closeReason ?? null).toBeNull();
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[1].nodes[3]).toEqual({
      name: 'n4',
      state: 'excluded',
      reason: 'refused an earlier round',
    });
    expect(status.excluded).toEqual([{ node: 'n4', rounds: [0], reason }]);
    const events = await json(await h.op('GET', `/v1/jobs/${jobId}/events`));
    const closed = events.events.find(
      (e: { type: string; round: number }) => e.type === 'secagg_setup_closed' && e.round === 1
    );
    expect(closed.detail).toEqual({
      reason: 'all 3 participants answered',
      advertised: ['n1', 'n2', 'n3'],
    });
  });
});
