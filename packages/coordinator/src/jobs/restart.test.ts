import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentStatsJobSpecSchema, RFM_CLASSES, layoutOf, type He } from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import {
  T0,
  federation,
  harness,
  json,
  makeSubmission,
  specHashOf,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import {
  masked,
  maskedSum,
  reopened,
  sentSetup,
  setupRound,
  submitMasked,
  unmaskAndDecrypt,
  unmaskBy,
} from './_secagg-testing.ts';
import { decryptByTwo } from './_round-testing.ts';

const nodes = [
  testNode('p1', 41),
  testNode('p2', 42),
  testNode('p3', 43),
  testNode('p4', 44),
  testNode('p5', 45),
] as const;
const [p1, p2, p3, p4] = nodes;
const spec = {
  version: 1,
  kind: 'segment_stats',
  minNodes: 3,
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 0.5,
    dimensions: [{ field: 'lifecycle_stage', categories: ['intro', 'growth'] }],
  },
};
const layout = layoutOf(SegmentStatsJobSpecSchema.parse(spec).query);
let he: He;
let keys: { secretKey: Uint8Array; publicKey: Uint8Array };
const dirs: string[] = [];

beforeAll(async () => {
  he = await heFor(DEFAULT_HE_PARAMS);
  keys = he.generateKeys();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const submission = (h: Harness, n: TestNode, jobId: string, keyId: string, k: number) =>
  makeSubmission(he, keys.secretKey, n, {
    jobId,
    round: 0,
    keyId,
    layoutHash: layout.hash,
    specHash: specHashOf(h, jobId, 0),
    values: masked(
      h,
      n,
      jobId,
      0,
      Array.from({ length: layout.length }, () => BigInt(k))
    ),
  });

describe('restart safety', () => {
  it('a coordinator reopened on the same directory keeps every accepted setup, submission and unmask answer, and resumes the round', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-restart-'));
    dirs.push(dir);
    const clock = { now: T0 };
    const tasksOf = async (h: Harness, n: TestNode) =>
      (await json(await h.node(n, 'GET', '/v1/node/tasks'))).tasks.map(
        (t: { type: string; round: number }) => `${t.type} ${t.round}`
      );
    const h1 = harness({ dir, heFor, clock });
    const keyId = await federation(h1, [...nodes], keys.publicKey);
    const { jobId } = await json(await h1.op('POST', '/v1/jobs', spec));
    const setupPath = `/v1/node/jobs/${jobId}/rounds/0/secagg/setup`;

    // Setup phase: two of five (the threshold is 3) send theirs, then the coordinator dies.
    await setupRound(h1, [p1, p2], jobId, 0, { close: false });
    // No close(): the first instance is abandoned as a SIGKILL would leave it.
    const h2 = harness({ dir, heFor, clock });
    reopened(h1, h2);
    expect(h2.store.jobs.getRound(jobId, 0)?.status).toBe('setup');
    expect(h2.store.jobs.secaggSetups(jobId, 0).map((x) => x.node)).toEqual(['p1', 'p2']);
    expect(h2.store.jobs.secaggSetups(jobId, 0)[0]).toEqual(sentSetup(h1, p1, jobId, 0));
    // The stored setup is the one p1 sent: the same again is accepted again, p1 is not asked twice.
    const again = await h2.node(p1, 'POST', setupPath, sentSetup(h1, p1, jobId, 0));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ version: 1, status: 'setup' });
    expect(await tasksOf(h2, p1)).toEqual([]);
    expect(await tasksOf(h2, p3)).toEqual(['secagg_setup 0']);
    await setupRound(h2, [p3, p4], jobId, 0, { close: false });
    const quorum = h2.store.jobs.getRound(jobId, 0);
    expect(quorum?.status).toBe('setup');
    expect(quorum?.quorumAt).toBe(clock.now);
    h2.store.close();
    // Reopened after the straggler wait: resuming closes the setup phase with the four stored setups.
    const h3 = harness({ dir, heFor, clock });
    reopened(h2, h3);
    clock.now += 2000;
    await h3.coordinator.resume();
    const opened = h3.store.jobs.getRound(jobId, 0);
    expect(opened?.status).toBe('open');
    expect(opened?.secagg?.adverts.map((a) => a.node)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(await tasksOf(h3, nodes[4])).toEqual([]);

    // Masked input: two submit, then the coordinator dies again.
    const sub1 = submission(h3, p1, jobId, keyId, 1);
    const receipt1 = await json(
      await h3.node(p1, 'POST', `/v1/node/jobs/${jobId}/rounds/0/submission`, sub1)
    );
    await h3.node(
      p2,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/submission`,
      submission(h3, p2, jobId, keyId, 2)
    );
    const h4 = harness({ dir, heFor, clock });
    reopened(h3, h4);
    const status = await json(await h4.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[0].nodes.map((n: { state: string }) => n.state)).toEqual([
      'submitted',
      'submitted',
      'pending',
      'pending',
      'pending',
    ]);
    clock.now += 5000;
    const resent = await h4.node(p1, 'POST', `/v1/node/jobs/${jobId}/rounds/0/submission`, sub1);
    expect(resent.status).toBe(200);
    expect(await resent.json()).toEqual(receipt1);
    await h4.node(
      p3,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/submission`,
      submission(h4, p3, jobId, keyId, 4)
    );
    expect(h4.store.jobs.getRound(jobId, 0)?.status).toBe('open');
    h4.store.close();
    const h5 = harness({ dir, heFor, clock });
    reopened(h4, h5);
    clock.now += 2000;
    await h5.coordinator.resume();
    const r = h5.store.jobs.getRound(jobId, 0);
    expect(r?.status).toBe('decrypting');
    expect(r?.contributors).toEqual(['p1', 'p2', 'p3']);
    expect(r?.secagg).toMatchObject({ survivors: ['p1', 'p2', 'p3'], dropped: ['p4'] });
    // The aggregate sums the three masked inputs: decrypted alone it is not the sum 1 + 2 + 4.
    const seven = Array.from({ length: layout.length }, () => 7n);
    const plain = maskedSum(h5, he, keys.secretKey, jobId, 0);
    expect(plain).not.toEqual(seven);

    // Unmask phase: two of the three answers needed, then the coordinator dies again.
    await unmaskBy(h5, [p1, p2], jobId, 0);
    expect(h5.store.jobs.getRound(jobId, 0)?.secagg?.correction).toBeUndefined();
    const h6 = harness({ dir, heFor, clock });
    reopened(h5, h6);
    expect(h6.store.jobs.secaggUnmasks(jobId, 0).map((u) => u.node)).toEqual(['p1', 'p2']);
    // p1 answered its unmask before the restart: it is asked only to decrypt now (all 3 decrypt).
    expect([...(r?.decryptors ?? [])].sort()).toEqual(['p1', 'p2', 'p3']);
    expect(await tasksOf(h6, p1)).toEqual(['decrypt 0']);
    expect(await tasksOf(h6, p3)).toEqual(['secagg_unmask 0', 'decrypt 0']);
    // The third answer rebuilds the correction from the two stored before the restart.
    await unmaskBy(h6, [p3], jobId, 0);
    expect(h6.store.jobs.getRound(jobId, 0)?.secagg?.correction).toHaveLength(layout.length);
    await decryptByTwo(h6, nodes, { jobId, round: 0, layoutHash: layout.hash }, plain);
    const result = await json(await h6.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('published');
    expect(result.rounds[0].values).toEqual(seven.map(String));
    expect(result.rounds[0].contributingNodes).toEqual(['p1', 'p2', 'p3']);
    const events = (await json(await h6.op('GET', `/v1/jobs/${jobId}/events`))).events.map(
      (e: { type: string }) => e.type
    );
    expect(events).toEqual([
      'job_created',
      'round_opened',
      'secagg_setup_received',
      'secagg_setup_received',
      'secagg_setup_received',
      'secagg_setup_received',
      'secagg_setup_closed',
      'submission_accepted',
      'submission_accepted',
      'submission_accepted',
      'round_closed',
      'aggregate_stored',
      'secagg_unmask_received',
      'secagg_unmask_received',
      'secagg_unmask_received',
      'secagg_unmasked',
      'decryption_received',
      'decryption_received',
      'round_published',
      'job_published',
    ]);
    h6.store.close();
  });
});

describe('two-phase RFM job', () => {
  it('publishes federated means in round 0 and opens round 1 classifying against them', async () => {
    const h: Harness = harness({ heFor });
    const keyId = await federation(h, [...nodes.slice(0, 3)], keys.publicKey);
    const rfm = {
      version: 1,
      kind: 'rfm',
      name: 'rfm',
      query: {
        version: 1,
        kind: 'segment_stats',
        purpose: 'marketing',
        asOf: '2026-01-01',
        epsilon: 0.5,
        measures: [
          { field: 'recency_days', lower: 0, upper: 365 },
          { field: 'frequency', lower: 0, upper: 50 },
          { field: 'monetary', lower: 0, upper: 5000 },
        ],
      },
    };
    const created = await h.op('POST', '/v1/jobs', rfm);
    expect(created.status).toBe(201);
    const { jobId } = await created.json();
    const three = nodes.slice(0, 3);
    // Round 0 starts with its secure-aggregation setup: that is the only task until it closes.
    expect((await json(await h.node(nodes[0], 'GET', '/v1/node/tasks'))).tasks).toEqual([
      expect.objectContaining({ type: 'secagg_setup', jobId, round: 0 }),
    ]);
    await setupRound(h, three, jobId, 0);
    const task = (await json(await h.node(nodes[0], 'GET', '/v1/node/tasks'))).tasks[0];
    expect(task).toMatchObject({ type: 'job_round', jobId, round: 0 });
    expect(task.spec.query.dimensions).toEqual([]);
    expect(task.spec.query.measures.map((m: { field: string }) => m.field)).toEqual([
      'recency_days',
      'frequency',
      'monetary',
    ]);
    const l0 = layoutOf(task.spec.query);
    expect(l0.blocks.map((b) => b.name)).toEqual([
      'count',
      'total',
      'sum:recency_days',
      'sum:frequency',
      'sum:monetary',
    ]);
    await submitMasked(h, he, keys.secretKey, three, {
      jobId,
      round: 0,
      keyId,
      layoutHash: l0.hash,
      values: [100n, 100n, 3000n, 500n, 20000n],
    });
    const schedule = vi.spyOn(h.coordinator.engine, 'schedule');
    // Survivors unmask, then two decryptors post the masked sum: publication removes the masks.
    const plain = await unmaskAndDecrypt(h, he, keys.secretKey, nodes, {
      jobId,
      round: 0,
      layoutHash: l0.hash,
    });
    const sum = [300n, 300n, 9000n, 1500n, 60000n];
    expect(plain).not.toEqual(sum);
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('running');
    expect(result.rounds[0].values).toEqual(sum.map(String));
    expect(result.rfmMeans).toEqual({ recency: 30, frequency: 5, monetary: 200 });
    // Round 1 also starts with a setup phase, and its deadline timer is armed at once.
    expect(h.store.jobs.getRound(jobId, 1)?.status).toBe('setup');
    expect(schedule).toHaveBeenCalledWith(jobId, 1);
    expect((await json(await h.node(nodes[1], 'GET', '/v1/node/tasks'))).tasks).toEqual([
      expect.objectContaining({ type: 'secagg_setup', jobId, round: 1 }),
    ]);
    await setupRound(h, three, jobId, 1);
    const next = (await json(await h.node(nodes[1], 'GET', '/v1/node/tasks'))).tasks[0];
    expect(next).toMatchObject({ type: 'job_round', jobId, round: 1 });
    expect(next.spec.query.dimensions).toEqual([
      { field: 'rfm_class', categories: [...RFM_CLASSES] },
    ]);
    expect(next.spec.query.params.rfm.means).toEqual({ recency: 30, frequency: 5, monetary: 200 });
    expect(layoutOf(next.spec.query).blocks.map((b) => b.name)).toEqual([
      'count',
      'total',
      'sum:monetary',
    ]);
  });
});
