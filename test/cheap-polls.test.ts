import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyPairFromSeed, type JobStatus } from '@fedmark/protocol';
import { createCoordinator, type Coordinator } from '../packages/coordinator/src/app.ts';
import { openStore } from '../packages/coordinator/src/store/index.ts';
import { type UnitSource } from '../packages/node/src/analytics/index.ts';
import { onePurchaseEach } from '../packages/node/src/federation/_test-network.ts';
import { runAgent } from '../packages/node/src/federation/agent.ts';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { admitNode, operatorApi, writeCoordinatorFile } from './support/test-coordinator.ts';

/**
 * A cheap federation, end to end (docs/scale.md "Cheap federation"): a real coordinator in
 * process (its round timers on) and three long-running node agents over its HTTP API. Idle,
 * each node's poll is held by the coordinator instead of repeated every pollMs; in a job, each
 * decryptor receives the round's aggregate once, with its decrypt task.
 */
const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(41));
const TOKEN = 'operator-token-cheap-polls';
const NAMES = ['ca', 'cb', 'cc'];
const POLL_MS = 50;

let root: string;
let coordinator: Coordinator;
const stop = new AbortController();
const agents: Promise<void>[] = [];
/** Every answer to a task poll, per node: its status and body. */
const answers: { node: string; at: number; status: number; body: string }[] = [];

function sourceFor(node: string): UnitSource {
  const ids = Array.from({ length: 30 + NAMES.indexOf(node) }, (_, i) => `${node}-${i}`);
  return onePurchaseEach(ids);
}

const op = <T>(method: string, path: string, body?: unknown): Promise<T> =>
  operatorApi(coordinator, TOKEN)<T>(method, path, body);

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fedmark-cheap-polls-'));
  coordinator = createCoordinator({
    store: openStore(':memory:'),
    coordinatorKey: COORD,
    operatorToken: TOKEN,
    log: () => {},
  });
  for (const n of NAMES) {
    const dir = join(root, n);
    await initNode({ dir, name: n, members: 'auto' });
    writeCoordinatorFile(dir, 'http://coordinator.test', COORD.publicKey);
    await admitNode(coordinator, TOKEN, loadIdentity(dir));
  }
  for (const n of NAMES) {
    const fetchApp = async (url: string, init: RequestInit) => {
      const res = await coordinator.app.request(url, init);
      if (new URL(url).pathname === '/v1/node/tasks')
        answers.push({
          node: n,
          at: Date.now(),
          status: res.status,
          body: await res.clone().text(),
        });
      return res;
    };
    agents.push(
      runAgent({
        dir: join(root, n),
        coordinatorUrl: 'http://coordinator.test',
        fetch: fetchApp,
        source: () => sourceFor(n),
        pollMs: POLL_MS,
        backoffMs: 10,
        signal: stop.signal,
        log: () => {},
      })
    );
  }
  await until('the key ceremony', async () => {
    const res = await coordinator.app.request('/v1/admin/keys/active', {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return res.status === 200;
  });
}, 120_000);

afterAll(async () => {
  stop.abort();
  coordinator?.stop();
  await Promise.all(agents);
  rmSync(root, { recursive: true, force: true });
});

describe('a cheap federation', () => {
  it('holds idle polls on the coordinator: far fewer than one per pollMs', async () => {
    await new Promise((r) => setTimeout(r, 500)); // the ceremony's last answers settle
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    const idle = answers.filter((a) => a.at >= from);
    // Short polls at 50 ms would be 40 per node in 2 s; held polls answer only on a change.
    for (const n of NAMES) expect(idle.filter((a) => a.node === n).length).toBeLessThanOrEqual(1);
    expect(idle.every((a) => a.status === 304)).toBe(true);
  });

  it('runs a job; each decryptor gets the aggregate once, the other nodes never', async () => {
    const { jobId } = await op<{ jobId: string }>('POST', '/v1/jobs', {
      version: 1,
      kind: 'segment_stats',
      name: 'cheap polls',
      minNodes: 3,
      stragglerWaitMs: 0,
      query: {
        version: 1,
        kind: 'segment_stats',
        purpose: 'analytics',
        asOf: '2026-11-01',
        epsilon: 0.5,
      },
    });
    await until('the job', async () => {
      return (await op<JobStatus>('GET', `/v1/jobs/${jobId}`)).status !== 'running';
    });
    expect((await op<JobStatus>('GET', `/v1/jobs/${jobId}`)).status).toBe('published');
    const round = coordinator.ctx.store.jobs.getRound(jobId, 0);
    const first = round?.aggregate?.[0] as string;
    expect(first.length).toBeGreaterThan(1000);
    const decryptors = round?.decryptors ?? [];
    const decrypted = coordinator.ctx.store.jobs.decryptions(jobId, 0).map((d) => d.node);
    expect(decrypted.length).toBeGreaterThanOrEqual(2);
    for (const n of NAMES) {
      const got = answers.filter((a) => a.node === n && a.body.includes(first)).length;
      // A decryptor the round published without may have seen its task once, or not at all.
      const expected = decrypted.includes(n) ? [1] : decryptors.includes(n) ? [0, 1] : [0];
      expect(expected).toContain(got);
    }
  });
});
