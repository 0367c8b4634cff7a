import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { decryptByTwo, submitAll } from './_round-testing.ts';

const nodes = [
  testNode('p1', 41),
  testNode('p2', 42),
  testNode('p3', 43),
  testNode('p4', 44),
] as const;
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
    values: Array.from({ length: layout.length }, () => BigInt(k)),
  });

describe('restart safety', () => {
  it('a coordinator reopened on the same directory keeps every accepted submission and resumes the round', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-restart-'));
    dirs.push(dir);
    const clock = { now: T0 };
    const h1 = harness({ dir, heFor, clock });
    const keyId = await federation(h1, [...nodes], keys.publicKey);
    const { jobId } = await json(await h1.op('POST', '/v1/jobs', spec));
    const sub1 = submission(h1, nodes[0], jobId, keyId, 1);
    const receipt1 = await json(
      await h1.node(nodes[0], 'POST', `/v1/node/jobs/${jobId}/rounds/0/submission`, sub1)
    );
    await h1.node(
      nodes[1],
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/submission`,
      submission(h1, nodes[1], jobId, keyId, 2)
    );
    // No close(): the first instance is abandoned as a SIGKILL would leave it.
    const h2 = harness({ dir, heFor, clock });
    const status = await json(await h2.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[0].nodes.map((n: { state: string }) => n.state)).toEqual([
      'submitted',
      'submitted',
      'pending',
      'pending',
    ]);
    clock.now += 5000;
    const resent = await h2.node(
      nodes[0],
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/submission`,
      sub1
    );
    expect(resent.status).toBe(200);
    expect(await resent.json()).toEqual(receipt1);
    await h2.node(
      nodes[2],
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/submission`,
      submission(h2, nodes[2], jobId, keyId, 4)
    );
    expect(h2.store.jobs.getRound(jobId, 0)?.status).toBe('open');
    h2.store.close();
    const h3 = harness({ dir, heFor, clock });
    clock.now += 2000;
    await h3.coordinator.resume();
    const r = h3.store.jobs.getRound(jobId, 0);
    expect(r?.status).toBe('decrypting');
    const agg = (r?.aggregate ?? []).map((b) => new Uint8Array(Buffer.from(b, 'base64')));
    expect(he.decrypt(agg, keys.secretKey, layout.length)).toEqual(
      Array.from({ length: layout.length }, () => 7n)
    );
    const events = (await json(await h3.op('GET', `/v1/jobs/${jobId}/events`))).events.map(
      (e: { type: string }) => e.type
    );
    expect(events).toEqual([
      'job_created',
      'round_opened',
      'submission_accepted',
      'submission_accepted',
      'submission_accepted',
      'round_closed',
      'aggregate_stored',
    ]);
    h3.store.close();
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
    const task = (await json(await h.node(nodes[0], 'GET', '/v1/node/tasks'))).tasks[0];
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
    await submitAll(h, he, keys.secretKey, nodes.slice(0, 3), {
      jobId,
      round: 0,
      keyId,
      layoutHash: l0.hash,
      values: [100n, 100n, 3000n, 500n, 20000n],
    });
    const plain = [300n, 300n, 9000n, 1500n, 60000n];
    await decryptByTwo(h, nodes, { jobId, round: 0, layoutHash: l0.hash }, plain);
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('running');
    expect(result.rfmMeans).toEqual({ recency: 30, frequency: 5, monetary: 200 });
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
