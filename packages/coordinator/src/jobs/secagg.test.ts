import { beforeAll, describe, expect, it } from 'vitest';
import {
  SECAGG_UNMASK_DOMAIN,
  SegmentStatsJobSpecSchema,
  answerUnmask,
  createSetup,
  hexToBytes,
  layoutOf,
  secaggUnmaskSigningPayload,
  signCanonical,
  toBase64,
  type He,
  type SecaggUnmask,
} from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import {
  federation,
  harness,
  json,
  makeDecryption,
  makeSubmission,
  specHashOf,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import { maskedSum, postMasked, setupRound, unmaskBy } from './_secagg-testing.ts';
import { setsOf } from './secagg.ts';

/**
 * The coordinator's side of secure aggregation (docs/secure-aggregation.md): what it accepts in
 * the setup and unmask phases, and that with nodes dropping before and after their masked input
 * it publishes the exact sum of the inputs that arrived.
 */
const nodes = ['a', 'b', 'c', 'd', 'e'].map((n, i) => testNode(`n-${n}`, 41 + i));
const [na, nb, nc, nd, ne] = nodes as [TestNode, TestNode, TestNode, TestNode, TestNode];
const outsider = testNode('n-x', 49);
const spec = {
  version: 1,
  kind: 'segment_stats',
  name: 'secagg',
  minNodes: 3,
  stragglerWaitMs: 1000,
  deadlineMs: 60_000,
  nodes: nodes.map((n) => n.name),
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

async function job(): Promise<{ h: Harness; jobId: string; keyId: string }> {
  const h = harness({ heFor });
  const keyId = await federation(h, [...nodes, outsider], keys.publicKey);
  const res = await h.op('POST', '/v1/jobs', spec);
  expect(res.status).toBe(201);
  return { h, jobId: (await res.json()).jobId, keyId };
}

function submit(h: Harness, jobId: string, keyId: string, n: TestNode, k: number) {
  const s = { jobId, round: 0, keyId, layoutHash: layout.hash, values: vector(k), epsilon: 1 };
  return postMasked(h, he, keys.secretKey, n, s);
}

/** Posts `plain` (the decrypted masked sum) from the round's first two decryptors. */
async function decrypt(h: Harness, jobId: string) {
  const r = h.store.jobs.getRound(jobId, 0);
  const plain = maskedSum(h, he, keys.secretKey, jobId, 0);
  const statuses: string[] = [];
  for (const name of (r?.decryptors ?? []).slice(0, 2)) {
    const n = nodes.find((x) => x.name === name) as TestNode;
    const res = await h.node(
      n,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/decryption`,
      makeDecryption(n, jobId, 0, layout.hash, plain)
    );
    statuses.push((await json(res)).status);
  }
  return statuses;
}

const sum = (ks: number[]) =>
  vector(0).map((_, i) => ks.reduce((s, k) => s + (vector(k)[i] as bigint), 0n));

describe('setup phase', () => {
  it('starts every round in setup: no input is accepted before it closes', async () => {
    const { h, jobId } = await job();
    expect(h.store.jobs.getRound(jobId, 0)?.status).toBe('setup');
    const tasks = (await json(await h.node(na, 'GET', '/v1/node/tasks'))).tasks;
    expect(tasks.map((t: { type: string }) => t.type)).toEqual(['secagg_setup']);
    expect(tasks[0]).toMatchObject({ participants: nodes.map((n) => n.name), threshold: 3 });
  });

  it('refuses a setup from a non-participant (403), with a lower threshold or a swapped box (400)', async () => {
    const { h, jobId } = await job();
    const participants = nodes.map((n) => ({ name: n.name, boxKey: n.box.publicKey }));
    const make = (n: TestNode, threshold: number) =>
      createSetup({
        jobId,
        round: 0,
        node: n.name,
        specHash: specHashOf(h, jobId, 0),
        threshold,
        participants:
          n === outsider
            ? [...participants, { name: n.name, boxKey: n.box.publicKey }]
            : participants,
        signingSecretKey: n.signing.secretKey,
        boxSecretKey: n.box.secretKey,
      });
    const path = `/v1/node/jobs/${jobId}/rounds/0/secagg/setup`;
    const fromOutsider = (await make(outsider, 3)).setup;
    expect((await h.node(outsider, 'POST', path, fromOutsider)).status).toBe(403);
    const low = (await make(na, 2)).setup;
    expect((await h.node(na, 'POST', path, low)).status).toBe(400);
    const swapped = (await make(na, 3)).setup;
    swapped.shares[nb.name] = swapped.shares[nc.name] as string;
    expect((await h.node(na, 'POST', path, swapped)).status).toBe(400);
    expect(h.store.jobs.secaggSetups(jobId, 0)).toEqual([]);
  });

  it('takes masked input only from nodes whose setup closed the phase (403 otherwise)', async () => {
    const { h, jobId, keyId } = await job();
    await setupRound(h, [na, nb, nc, nd], jobId, 0);
    expect(h.store.jobs.getRound(jobId, 0)?.status).toBe('open');
    const tasks = (await json(await h.node(ne, 'GET', '/v1/node/tasks'))).tasks;
    expect(tasks).toEqual([]);
    const res = await h.node(
      ne,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/submission`,
      makeSubmission(he, keys.secretKey, ne, {
        jobId,
        round: 0,
        keyId,
        layoutHash: layout.hash,
        specHash: specHashOf(h, jobId, 0),
        values: vector(5),
        epsilon: 1,
      })
    );
    expect(res.status).toBe(403);
  });
});

describe('unmask phase and dropouts', () => {
  /** Round 0 after setups from a..e and masked input from `submitters`. */
  async function closedWith(submitters: TestNode[]) {
    const s = await job();
    await setupRound(s.h, nodes, s.jobId, 0);
    for (const n of submitters) await submit(s.h, s.jobId, s.keyId, n, nodes.indexOf(n) + 1);
    if (s.h.store.jobs.getRound(s.jobId, 0)?.status === 'open') {
      s.h.clock.now += spec.stragglerWaitMs;
      await s.h.coordinator.engine.tick();
    }
    expect(s.h.store.jobs.getRound(s.jobId, 0)?.status).toBe('decrypting');
    return s;
  }
  const unmaskPath = (jobId: string) => `/v1/node/jobs/${jobId}/rounds/0/secagg/unmask`;
  function honestAnswer(h: Harness, jobId: string, n: TestNode): SecaggUnmask {
    const r = h.store.jobs.getRound(jobId, 0);
    const job = h.store.jobs.getJob(jobId);
    if (!r || !job) throw new Error('no round');
    return answerUnmask({
      sets: setsOf(job, r),
      me: n.name,
      boxes: h.store.jobs
        .secaggSetups(jobId, 0)
        .map((x) => ({ owner: x.node, box: x.shares[n.name] as string })),
      ownerBoxKey: (o) => hexToBytes(h.store.nodes.get(o)?.boxKey ?? ''),
      boxSecretKey: n.box.secretKey,
      signingSecretKey: n.signing.secretKey,
    });
  }
  const resign = (n: TestNode, u: Omit<SecaggUnmask, 'signature'>): SecaggUnmask => ({
    ...u,
    signature: signCanonical(
      SECAGG_UNMASK_DOMAIN,
      secaggUnmaskSigningPayload(u),
      n.signing.secretKey
    ),
  });

  it('publishes the exact sum when one node drops before its input and one after (a, b, c answer)', async () => {
    const { h, jobId } = await closedWith([na, nb, nc, nd]);
    const r = h.store.jobs.getRound(jobId, 0);
    expect(r?.secagg).toMatchObject({ survivors: ['n-a', 'n-b', 'n-c', 'n-d'], dropped: ['n-e'] });
    expect(await decrypt(h, jobId)).toEqual(['decrypting', 'decrypting']);
    await unmaskBy(h, [na, nb, nc], jobId, 0); // n-d died after its input
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('published');
    expect(result.rounds[0].values).toEqual(sum([1, 2, 3, 4]).map(String));
    expect(result.rounds[0].contributingNodes).toEqual(['n-a', 'n-b', 'n-c', 'n-d']);
    const events = (await json(await h.op('GET', `/v1/jobs/${jobId}/events`))).events;
    expect(events.map((e: { type: string }) => e.type)).toContain('secagg_unmasked');
  });

  it('publishes the exact sum of three when two drop before their input', async () => {
    const { h, jobId } = await closedWith([na, nb, nc]);
    await unmaskBy(h, [na, nb, nc], jobId, 0);
    expect(await decrypt(h, jobId)).toEqual(['decrypting', 'published']);
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.rounds[0].values).toEqual(sum([1, 2, 3]).map(String));
  });

  it('refuses an answer with both kinds of share for one node, other sets, or from a non-survivor', async () => {
    const { h, jobId } = await closedWith([na, nb, nc, nd]);
    const honest = honestAnswer(h, jobId, na);
    const { signature: _s, version: _v, ...body } = honest;
    // Both shares of n-d: its self-mask share (it survived) plus a mask-key share.
    const both = resign(na, {
      ...body,
      version: 1,
      keyShares: { ...body.keyShares, 'n-d': toBase64(new Uint8Array(33).fill(1)) },
    });
    const bothRes = await h.node(na, 'POST', unmaskPath(jobId), both);
    expect(bothRes.status).toBe(400);
    const otherSets = resign(na, { ...body, version: 1, setsHash: 'ab'.repeat(32) });
    expect((await h.node(na, 'POST', unmaskPath(jobId), otherSets)).status).toBe(409);
    const fromDropped = honestAnswer(h, jobId, ne);
    expect((await h.node(ne, 'POST', unmaskPath(jobId), fromDropped)).status).toBe(403);
    expect(h.store.jobs.secaggUnmasks(jobId, 0)).toEqual([]);
    // The honest answer is taken once; another one from the same node is a conflict.
    expect((await h.node(na, 'POST', unmaskPath(jobId), honest)).status).toBe(200);
    expect((await h.node(na, 'POST', unmaskPath(jobId), honest)).status).toBe(200);
    const second = resign(na, {
      ...body,
      version: 1,
      selfShares: { ...body.selfShares, 'n-a': toBase64(new Uint8Array(33)) },
    });
    expect((await h.node(na, 'POST', unmaskPath(jobId), second)).status).toBe(409);
  });

  it('fails the job with UNMASK_FAILED, publishing nothing, when a rebuilt secret misses its commitment', async () => {
    const { h, jobId } = await closedWith([na, nb, nc]);
    await unmaskBy(h, [na, nb], jobId, 0);
    const honest = honestAnswer(h, jobId, nc);
    const { signature: _s, ...rest } = honest;
    const lying = resign(nc, {
      ...rest,
      selfShares: { ...rest.selfShares, 'n-a': toBase64(new Uint8Array(33).fill(7)) },
    });
    expect((await h.node(nc, 'POST', unmaskPath(jobId), lying)).status).toBe(200);
    const result = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(result.status).toBe('failed');
    expect(result.failure.code).toBe('UNMASK_FAILED');
    expect(result.rounds).toEqual([]);
  });
});
