import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signNodeRequest, type He } from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import {
  admit,
  countJobSpec,
  federation,
  harness,
  json,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import { setupRound } from '../jobs/_secagg-testing.ts';
import { tasksFor } from './tasks.ts';
import { TaskFeed } from './task-feed.ts';

const nodes = ['f-a', 'f-b', 'f-c'].map((n, i) => testNode(n, 81 + i));
const [a] = nodes as [TestNode];
const spec = countJobSpec('feed', { stragglerWaitMs: 0, deadlineMs: 60_000 });

let he: He;
let publicKey: Uint8Array;
beforeAll(async () => {
  he = await heFor(DEFAULT_HE_PARAMS);
  publicKey = he.generateKeys().publicKey;
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** GET /v1/node/tasks signed by `n`, with an If-None-Match and a wait when given. */
async function poll(h: Harness, n: TestNode, etag?: string, wait?: number): Promise<Response> {
  const path = wait === undefined ? '/v1/node/tasks' : `/v1/node/tasks?wait=${wait}`;
  const headers = signNodeRequest({
    method: 'GET',
    path,
    body: '',
    node: n.name,
    secretKey: n.signing.secretKey,
    now: h.clock.now,
  });
  return h.coordinator.app.request(path, {
    method: 'GET',
    headers: { ...headers, ...(etag === undefined ? {} : { 'if-none-match': etag }) },
  });
}

/** What an uncached poll answers: tasksFor serialized as the route always did. */
const uncached = (h: Harness, n: TestNode) =>
  JSON.stringify({ version: 1, tasks: tasksFor(h.coordinator.ctx, n.name) });

describe('task feed: polls answered from memory', () => {
  it('answers the bytes of the uncached derivation, with an ETag; 304 while unchanged', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, publicKey);
    const idle = await poll(h, a);
    expect(idle.status).toBe(200);
    const etag = idle.headers.get('etag') as string;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await idle.text()).toBe(uncached(h, a));
    const same = await poll(h, a, etag);
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    expect(same.headers.get('etag')).toBe(etag);

    // A job: every node's next poll has the setup task, byte for byte as derived uncached.
    const { jobId } = await json(await h.op('POST', '/v1/jobs', spec));
    const withJob = await poll(h, a, etag);
    expect(withJob.status).toBe(200);
    const body = await withJob.text();
    expect(body).toBe(uncached(h, a));
    expect(JSON.parse(body).tasks.map((t: { type: string }) => t.type)).toEqual(['secagg_setup']);
    expect(withJob.headers.get('etag')).not.toBe(etag);

    // Cancelled: the next poll no longer lists the round.
    await setupRound(h, nodes, jobId, 0);
    const open = await poll(h, a);
    expect(JSON.parse(await open.text()).tasks.map((t: { type: string }) => t.type)).toEqual([
      'job_round',
    ]);
    expect((await h.op('POST', `/v1/jobs/${jobId}/cancel`)).status).toBe(200);
    const cancelled = await poll(h, a, open.headers.get('etag') as string);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.text()).toBe('{"version":1,"tasks":[]}');
  });

  it('sees a new key epoch on the next poll', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, publicKey);
    const before = await poll(h, a);
    expect(JSON.parse(await before.text()).tasks).toEqual([]);
    // A fourth member: a new epoch whose generator (first by name, f-a) must generate keys.
    expect((await admit(h, testNode('f-d', 90))).status).toBe(201);
    const after = await poll(h, a, before.headers.get('etag') as string);
    expect(after.status).toBe(200);
    const tasks = JSON.parse(await after.text()).tasks;
    expect(tasks).toMatchObject([{ type: 'key_generate', keyId: 'k4' }]);
  });

  it('sees a write by another connection to the database (coordinator admit) on the next poll', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedmark-feed-'));
    dirs.push(dir);
    const h = harness({ heFor, dir });
    await federation(h, nodes, publicKey);
    const before = await poll(h, a);
    expect(before.status).toBe(200);
    const etag = before.headers.get('etag') as string;
    expect((await poll(h, a, etag)).status).toBe(304);
    const other = harness({ dir });
    try {
      expect((await admit(other, testNode('f-d', 90))).status).toBe(201);
    } finally {
      other.store.close();
    }
    const after = await poll(h, a, etag);
    expect(after.status).toBe(200);
    expect(JSON.parse(await after.text()).tasks).toMatchObject([
      { type: 'key_generate', keyId: 'k4' },
    ]);
    h.store.close();
  });

  it('drops a task at its round deadline although nothing was written', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, publicKey);
    await h.op('POST', '/v1/jobs', spec);
    const setup = await poll(h, a);
    expect(JSON.parse(await setup.text()).tasks).toHaveLength(1);
    const etag = setup.headers.get('etag') as string;
    expect((await poll(h, a, etag)).status).toBe(304);
    h.clock.now += 60_001; // past the setup deadline; the engine's timers are off in the harness
    const late = await poll(h, a, etag);
    expect(late.status).toBe(200);
    expect(await late.text()).toBe('{"version":1,"tasks":[]}');
    expect(uncached(h, a)).toBe('{"version":1,"tasks":[]}');
  });

  it('derives once while nothing changes, again after any write', () => {
    const h = harness({ heFor });
    let calls = 0;
    const feed = new TaskFeed(h.coordinator.ctx, {
      compute: (ctx, node) => {
        calls++;
        return tasksFor(ctx, node);
      },
    });
    const first = feed.answer(a.name);
    expect(feed.answer(a.name)).toBe(first);
    expect(calls).toBe(1);
    h.store.nodes.insert({ name: 'x', signingKey: '00', boxKey: '00', admittedAt: 'now' });
    feed.answer(a.name);
    expect(calls).toBe(2);
    // Request bookkeeping (nonces, last seen) is not a change of what polls answer.
    h.store.nodes.recordNonce(a.name, 'n1', h.clock.now);
    h.store.nodes.touch(a.name, 'later');
    feed.answer(a.name);
    expect(calls).toBe(2);
    // Inside a transaction nothing is served from memory (it could still roll back).
    h.store.transaction(() => feed.answer(a.name));
    expect(calls).toBe(3);
  });
});

describe('task feed: held polls', () => {
  it('holds a poll until the node’s tasks change, then answers at once', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, publicKey);
    const etag = (await poll(h, a)).headers.get('etag') as string;
    const started = Date.now();
    const held = poll(h, a, etag, 20);
    await new Promise((r) => setTimeout(r, 150));
    expect(h.coordinator.ctx.store.state.cacheable()).toBe(true);
    await h.op('POST', '/v1/jobs', spec);
    const res = await held;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(JSON.parse(await res.text()).tasks.map((t: { type: string }) => t.type)).toEqual([
      'secagg_setup',
    ]);
  });

  it('answers 304 when the wait ends without a change; refuses a wait over 30 s', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, publicKey);
    const etag = (await poll(h, a)).headers.get('etag') as string;
    const started = Date.now();
    const res = await poll(h, a, etag, 1);
    expect(res.status).toBe(304);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const bad = await poll(h, a, etag, 31);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('BAD_REQUEST');
  });

  it('releases held polls when the coordinator stops', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, publicKey);
    const etag = (await poll(h, a)).headers.get('etag') as string;
    const held = poll(h, a, etag, 30);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    h.coordinator.stop();
    expect((await held).status).toBe(304);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
