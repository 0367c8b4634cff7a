import { beforeAll, describe, expect, it } from 'vitest';
import { SegmentStatsJobSpecSchema, layoutOf, type He } from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import {
  federation,
  harness,
  json,
  makeDecryption,
  makeRefusal,
  specHashOf,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import { decideClose } from './rounds.ts';
import { postMasked, setupRound, unmaskBy } from './_secagg-testing.ts';

const nodes = [
  testNode('n1', 31),
  testNode('n2', 32),
  testNode('n3', 33),
  testNode('n4', 34),
] as const;
const byName = (name: string) => nodes.find((n) => n.name === name) as TestNode;
const spec = {
  version: 1,
  kind: 'segment_stats',
  name: 'nes',
  minNodes: 3,
  stragglerWaitMs: 2000,
  deadlineMs: 60_000,
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 1,
    dimensions: [{ field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] }],
  },
};
const layout = layoutOf(SegmentStatsJobSpecSchema.parse(spec).query);
const vector = (k: number) =>
  Array.from({ length: layout.length }, (_, i) => BigInt(k * 100 + i - 3));

let he: He;
let keys: { secretKey: Uint8Array; publicKey: Uint8Array };

beforeAll(async () => {
  he = await heFor(DEFAULT_HE_PARAMS);
  keys = he.generateKeys();
});

async function setup(): Promise<{ h: Harness; jobId: string; keyId: string }> {
  const h = harness({ heFor });
  const keyId = await federation(h, [...nodes], keys.publicKey);
  const res = await h.op('POST', '/v1/jobs', spec);
  expect(res.status).toBe(201);
  const jobId = (await res.json()).jobId;
  await setupRound(h, nodes, jobId, 0);
  return { h, jobId, keyId };
}

function submit(h: Harness, jobId: string, keyId: string, n: TestNode, k: number) {
  const s = { jobId, round: 0, keyId, layoutHash: layout.hash, values: vector(k), epsilon: 1 };
  return postMasked(h, he, keys.secretKey, n, s);
}

describe('closing rules', () => {
  it('waits for stragglers once the quorum is reached, then aggregates and asks 3 contributors to decrypt', async () => {
    const { h, jobId, keyId } = await setup();
    for (const [i, n] of nodes.slice(0, 3).entries())
      expect((await submit(h, jobId, keyId, n, i + 1)).status).toBe(200);
    h.clock.now += 1999;
    await h.coordinator.engine.tick();
    expect(h.store.jobs.getRound(jobId, 0)?.status).toBe('open');
    h.clock.now += 1;
    await h.coordinator.engine.tick();
    const r = h.store.jobs.getRound(jobId, 0);
    expect(r?.status).toBe('decrypting');
    expect(r?.closeReason).toBe('3 of 4 submitted; straggler wait over');
    expect(r?.contributors).toEqual(['n1', 'n2', 'n3']);
    expect([...(r?.decryptors ?? [])].sort()).toEqual(['n1', 'n2', 'n3']);
    // The aggregate is the homomorphic sum of masked inputs: decrypted alone it is not the sum.
    const agg = (r?.aggregate ?? []).map((b) => new Uint8Array(Buffer.from(b, 'base64')));
    const sum = Array.from({ length: layout.length }, (_, i) => BigInt(600 + 3 * (i - 3)));
    expect(he.decrypt(agg, keys.secretKey, layout.length)).not.toEqual(sum);
    // The survivors and the dropped node are signed into the round for the unmask phase.
    expect(r?.secagg).toMatchObject({ survivors: ['n1', 'n2', 'n3'], dropped: ['n4'] });

    const late = await submit(h, jobId, keyId, nodes[3], 4);
    expect(late.status).toBe(409);
    expect((await late.json()).error.code).toBe('DEADLINE_PASSED');

    const tasks = (await json(await h.node(nodes[0], 'GET', '/v1/node/tasks'))).tasks;
    expect(tasks.map((t: { type: string }) => t.type)).toEqual(['secagg_unmask', 'decrypt']);
    expect(tasks[0]).toMatchObject({ survivors: ['n1', 'n2', 'n3'], dropped: ['n4'] });
    expect(tasks[0].shares.map((x: { owner: string }) => x.owner)).toEqual([
      'n1',
      'n2',
      'n3',
      'n4',
    ]);
    expect(tasks[1]).toMatchObject({
      type: 'decrypt',
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      minNodes: 3,
      aggregate: r?.aggregate,
    });
    expect(tasks[1].contributions.map((x: { node: string }) => x.node)).toEqual(['n1', 'n2', 'n3']);
    // No route serves a single node's ciphertexts, not even to a decryptor.
    const cts = await h.node(nodes[0], 'GET', `/v1/node/jobs/${jobId}/rounds/0/ciphertexts`);
    expect(cts.status).toBe(404);
  });

  it('closes at once when every participant answered (3 submissions + 1 refusal)', async () => {
    const { h, jobId, keyId } = await setup();
    await h.node(
      nodes[3],
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/refusal`,
      makeRefusal(
        nodes[3],
        { jobId, round: 0, specHash: specHashOf(h, jobId, 0) },
        'purpose not allowed'
      )
    );
    for (const [i, n] of nodes.slice(0, 3).entries()) await submit(h, jobId, keyId, n, i + 1);
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[0]).toMatchObject({
      status: 'decrypting',
      closeReason: 'all 4 participants answered',
    });
  });

  it('fails with QUORUM_NOT_MET at the deadline below minNodes, and decrypts nothing', async () => {
    const { h, jobId, keyId } = await setup();
    await submit(h, jobId, keyId, nodes[0], 1);
    await submit(h, jobId, keyId, nodes[1], 2);
    h.clock.now += 60_000;
    await h.coordinator.engine.tick();
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.status).toBe('failed');
    expect(status.failure).toEqual({
      code: 'QUORUM_NOT_MET',
      message: '2 of 3 required nodes submitted by the deadline',
    });
    expect(h.store.jobs.getRound(jobId, 0)?.aggregate).toBeNull();
    for (const n of nodes)
      expect((await json(await h.node(n, 'GET', '/v1/node/tasks'))).tasks).toEqual([]);
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result).toEqual({
      version: 1,
      jobId,
      name: 'nes',
      kind: 'segment_stats',
      status: 'failed',
      rounds: [],
      excluded: [],
      failure: status.failure,
    });
  });

  it('decides from counts and clock alone (pure rules)', () => {
    const job = { expected: 4, min: 3, stragglerWaitMs: 100 };
    const round = { deadlineAt: 1000, quorumAt: null } as never;
    expect(decideClose(job, round, 2, 0, 10)).toEqual({ action: 'wait', wakeAt: 1000 });
    expect(decideClose(job, round, 1, 2, 10)).toMatchObject({
      action: 'fail',
      code: 'QUORUM_NOT_MET',
    });
    expect(decideClose(job, { deadlineAt: 1000, quorumAt: 50 } as never, 3, 0, 100)).toEqual({
      action: 'wait',
      wakeAt: 150,
    });
    expect(decideClose(job, { deadlineAt: 1000, quorumAt: 50 } as never, 3, 0, 150)).toMatchObject({
      action: 'close',
    });
    expect(decideClose(job, round, 3, 0, 1000)).toEqual({
      action: 'close',
      reason: 'deadline reached with 3 of 4 submissions',
    });
  });
});

describe('decryption and publication', () => {
  async function closed() {
    const s = await setup();
    for (const [i, n] of nodes.entries()) await submit(s.h, s.jobId, s.keyId, n, i + 1);
    const r = s.h.store.jobs.getRound(s.jobId, 0);
    expect(r?.status).toBe('decrypting');
    await unmaskBy(s.h, nodes.slice(0, 3), s.jobId, 0);
    // What decryptors see and post: the masked sum; publication removes the masks.
    const plain = he.decrypt(
      (r?.aggregate ?? []).map((x) => new Uint8Array(Buffer.from(x, 'base64'))),
      keys.secretKey,
      layout.length
    );
    const truth = Array.from({ length: layout.length }, (_, i) => BigInt(1000 + 4 * (i - 3)));
    return { ...s, decryptors: (r?.decryptors ?? []).map(byName), plain, truth };
  }
  const post = (h: Harness, n: TestNode, jobId: string, values: bigint[]) =>
    h.node(
      n,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/decryption`,
      makeDecryption(n, jobId, 0, layout.hash, values)
    );

  it('publishes when two decryptions agree, with estimates, noise and 95% intervals', async () => {
    const { h, jobId, decryptors, plain, truth } = await closed();
    expect(plain).not.toEqual(truth);
    const [d1, d2] = decryptors as [TestNode, TestNode];
    expect(await json(await post(h, d1, jobId, plain))).toEqual({
      version: 1,
      status: 'decrypting',
    });
    expect(await json(await post(h, d2, jobId, plain))).toEqual({
      version: 1,
      status: 'published',
    });
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('published');
    const round = result.rounds[0];
    expect(round.values).toEqual(truth.map(String));
    expect(round.contributingNodes).toEqual(['n1', 'n2', 'n3', 'n4']);
    // count block, cell "new": distributed Laplace (the default), shares sized for the threshold
    // T = 3 of 4 participants, so the 4 shares carry 4/3 of one discrete Laplace(a = e^-1/1)
    // variance 2a/(1-a)^2 (docs/privacy.md "Distributed noise").
    const a = Math.exp(-(layout.blocks[0]?.epsilonMicro ?? 0) / 1e6);
    const std = Math.sqrt((4 / 3) * ((2 * a) / (1 - a) ** 2));
    expect(round.mechanism).toBe('distributed-laplace');
    const cell = round.cells.find(
      (x: { block: string; labels: string[] }) => x.block === 'count' && x.labels[0] === 'new'
    );
    expect(cell.estimate).toBe(Number(truth[0]));
    expect(cell.noiseStd).toBeCloseTo(std, 9);
    // The flat cells carry the interpretation's figures: estimate ± 1.96 sd (protocol Z_95), raw kept.
    expect(cell.ci95[1] - cell.estimate).toBeCloseTo(1.96 * std, 9);
    expect(cell.raw).toBe(Number(truth[0]));
    expect(round.interpretation.dimensions).toEqual(['nes_status']);
    expect(round.interpretation.cells[0].labels).toEqual(['new']);
    expect(round.interpretation.cells[0].count.estimate).toBe(Number(truth[0]));
    expect(round.interpretation.cells[0].count.sd).toBeCloseTo(std, 9);
    // A repeated answer is idempotent; the third decryptor arriving late is recorded if it agrees.
    expect(await json(await post(h, d1, jobId, plain))).toEqual({
      version: 1,
      status: 'published',
    });
    const d3 = decryptors[2] as TestNode;
    const wrong = await post(
      h,
      d3,
      jobId,
      plain.map((v) => v + 1n)
    );
    expect(wrong.status).toBe(409);
    expect(await json(await post(h, d3, jobId, plain))).toEqual({
      version: 1,
      status: 'published',
    });
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[0].decryptions.map((x: { agrees: boolean }) => x.agrees)).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('blocks publication when decryptors disagree and fails the job once all answered', async () => {
    const { h, jobId, decryptors, plain } = await closed();
    const [d1, d2, d3] = decryptors as [TestNode, TestNode, TestNode];
    await post(h, d1, jobId, plain);
    const tampered = plain.map((v, i) => (i === 0 ? v + 1n : v));
    expect(await json(await post(h, d2, jobId, tampered))).toEqual({
      version: 1,
      status: 'decrypting',
    });
    expect(await json(await post(h, d3, jobId, plain))).toEqual({
      version: 1,
      status: 'decrypting',
    });
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.rounds).toEqual([]);
    expect(result.status).toBe('failed');
    expect(result.failure.code).toBe('DECRYPTION_DISAGREEMENT');
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[0].decryptions.map((x: { agrees: boolean }) => x.agrees)).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('asks every contributor when decryptors stay silent for deadlineMs, and fails with DECRYPTION_TIMEOUT after twice that', async () => {
    const { h, jobId, decryptors, plain } = await closed();
    const spare = nodes.find((n) => !decryptors.includes(n)) as TestNode;
    expect((await json(await h.node(spare, 'GET', '/v1/node/tasks'))).tasks).toEqual([]);
    h.clock.now += 60_000;
    await h.coordinator.engine.tick();
    const tasks = (await json(await h.node(spare, 'GET', '/v1/node/tasks'))).tasks;
    expect(tasks.map((t: { type: string }) => t.type)).toEqual(['decrypt']);
    const events = (await json(await h.op('GET', `/v1/jobs/${jobId}/events`))).events;
    expect(events.at(-1)).toMatchObject({ type: 'decryptors_extended', round: 0 });
    expect([...events.at(-1).detail.decryptors].sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    // One answer is not enough to publish; the round fails when the second wait ends.
    expect(await json(await post(h, spare, jobId, plain))).toEqual({
      version: 1,
      status: 'decrypting',
    });
    h.clock.now += 60_000;
    await h.coordinator.engine.tick();
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('failed');
    expect(result.failure).toEqual({
      code: 'DECRYPTION_TIMEOUT',
      message:
        'only 1 of 4 asked nodes answered the decryption request and 3 of the 3 unmask answers needed arrived in time; nothing was published',
    });
    expect(result.rounds).toEqual([]);
  });

  it('refuses a decryption from a node not asked (403), with the wrong length (400) or a forged signature (401)', async () => {
    const { h, jobId, decryptors, plain } = await closed();
    const notAsked = nodes.find((n) => !decryptors.includes(n)) as TestNode;
    expect((await post(h, notAsked, jobId, plain)).status).toBe(403);
    const short = await post(h, decryptors[0] as TestNode, jobId, plain.slice(1));
    expect(short.status).toBe(400);
    expect((await short.json()).error.code).toBe('LAYOUT_MISMATCH');
    const d = decryptors[0] as TestNode;
    const forged = {
      ...makeDecryption(d, jobId, 0, layout.hash, plain),
      signature: makeDecryption(notAsked, jobId, 0, layout.hash, plain).signature,
    };
    expect(
      (await h.node(d, 'POST', `/v1/node/jobs/${jobId}/rounds/0/decryption`, forged)).status
    ).toBe(401);
  });
});
