import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtocolError, TransparencyHeadSchema, type JobSpecInput } from '@fedmark/protocol';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { sleep } from '../packages/coordinator/src/simulate/processes.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { listLedger } from '../packages/node/src/ledger/index.ts';

/**
 * Faults (docs/architecture.md §8), with real processes on loopback: a node dies (the quorum
 * completes), the coordinator is SIGKILLed mid-round and restarted (nothing lost, nothing charged
 * twice), too few nodes (the job fails cleanly, nothing decrypted), hostile requests (4xx, the
 * server stays up).
 */
const NODES = ['n-a', 'n-b', 'n-c', 'n-d'];
const job = (name: string, extra: Partial<JobSpecInput> = {}): JobSpecInput =>
  ({
    version: 1,
    kind: 'segment_stats',
    name,
    minNodes: 3,
    stragglerWaitMs: 1000,
    deadlineMs: 60_000,
    query: {
      version: 1,
      kind: 'segment_stats',
      purpose: 'analytics',
      asOf: '2026-01-01',
      epsilon: 0.1,
      dimensions: [
        { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
      ],
    },
    ...extra,
  }) as JobSpecInput;

function releasesFor(dir: string, jobId: string): number[] {
  const db = openNodeDatabase(dir);
  try {
    return listLedger(db, { type: 'release', limit: 100_000 })
      .filter((e) => e.body['jobId'] === jobId)
      .map((e) => Number(e.body['round']));
  } finally {
    db.close();
  }
}

describe('faults with real processes', () => {
  let workdir: string;
  let fed: LocalFederation;

  async function transparencyLogSize(): Promise<number> {
    const token = readFileSync(join(fed.coordinatorDir, 'operator.token'), 'utf8').trim();
    const res = await fed.coordinatorFetch(
      new URL('/v1/transparency/head', fed.coordinatorUrl).href,
      {
        headers: { authorization: `Bearer ${token}` },
      }
    );
    expect(res.status).toBe(200);
    return TransparencyHeadSchema.parse(await res.json()).head.treeSize;
  }

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fedmark-faults-'));
    fed = new LocalFederation({
      workdir,
      pollMs: 150,
      nodes: NODES.map((name, i) => ({
        name,
        data: {
          synth: {
            profile: (['retail', 'bank', 'telecom'] as const)[i % 3]!,
            customers: 600,
            seed: `f${i}`,
          },
        },
      })),
    });
    await fed.start();
    // The key ceremony must finish with all four before anyone dies.
    const warm = await fed.operator.createJob(job('warm-up'));
    expect((await fed.operator.waitForJob(warm, { timeoutMs: 60_000 })).status).toBe('published');
  }, 300_000);

  afterAll(async () => {
    await fed?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  it("refuses at creation a job the nodes' signed policies would refuse, naming them and the rule", async () => {
    // Default policy: at most epsilon 2 per job. Before preflight this job ran and failed later.
    const base = job('too much epsilon') as Extract<JobSpecInput, { kind: 'segment_stats' }>;
    const err = await fed.operator
      .createJob({ ...base, query: { ...base.query, epsilon: 2.5 } })
      .then(
        () => null,
        (e: unknown) => e
      );
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('POLICY_REFUSED');
    expect((err as ProtocolError).message).toMatch(/4 participants would refuse this job/);
    expect((err as ProtocolError).message).toContain(
      'n-a: round asks epsilon 2.5; this node allows at most 2 per job (maxEpsilonPerJob)'
    );
  }, 30_000);

  it('completes with the remaining quorum when a node has died', async () => {
    await fed.killNode('n-d');
    const id = await fed.operator.createJob(job('one node down'));
    const status = await fed.operator.waitForJob(id, { timeoutMs: 60_000 });
    expect(status.status).toBe('published');
    const result = await fed.operator.result(id);
    expect(result.rounds[0]!.contributingNodes).toEqual(['n-a', 'n-b', 'n-c']);
    expect(status.rounds[0]!.nodes.find((n) => n.name === 'n-d')!.state).toBe('pending');
  }, 90_000);

  it('survives a coordinator SIGKILL mid-round: nothing lost, nothing charged twice', async () => {
    // n-d is dead, so after three submissions the round waits stragglerWaitMs for it: kill then.
    const id = await fed.operator.createJob(job('coordinator crash', { stragglerWaitMs: 6000 }));
    for (;;) {
      const s = await fed.operator.job(id);
      if (s.rounds[0]!.nodes.filter((n) => n.state === 'submitted').length === 3) break;
      await sleep(100);
    }
    const logSizeBefore = await transparencyLogSize();
    expect(logSizeBefore).toBeGreaterThan(0); // nodes have sent ledger checkpoints by now
    await fed.killCoordinator();
    await sleep(1500); // nodes keep polling a dead coordinator and must ride it out
    await fed.restartCoordinator();
    // The transparency log of node checkpoints is on disk too: nothing it had accepted is lost.
    expect(await transparencyLogSize()).toBeGreaterThanOrEqual(logSizeBefore);
    const status = await fed.operator.waitForJob(id, { timeoutMs: 60_000 });
    expect(status.status).toBe('published');
    expect((await fed.operator.result(id)).rounds[0]!.contributingNodes).toEqual([
      'n-a',
      'n-b',
      'n-c',
    ]);
    for (const name of ['n-a', 'n-b', 'n-c'])
      expect(releasesFor(fed.node(name).dir, id)).toEqual([0]);
  }, 120_000);

  it('fails cleanly below the minimum number of nodes, decrypting nothing', async () => {
    await fed.killNode('n-c');
    const id = await fed.operator.createJob(job('two nodes left', { deadlineMs: 4000 }));
    const status = await fed.operator.waitForJob(id, { timeoutMs: 60_000 });
    expect(status.status).toBe('failed');
    expect(status.failure!.code).toBe('QUORUM_NOT_MET');
    expect(status.rounds[0]!.decryptions).toEqual([]);
    const result = await fed.operator.result(id);
    expect(result.rounds).toEqual([]);
  }, 90_000);

  it('answers hostile requests with 4xx and stays up', async () => {
    const url = (p: string) => new URL(p, fed.coordinatorUrl).href;
    const cases: [string, RequestInit, number][] = [
      ['/v1/node/tasks', { headers: { 'x-fedmark-node': 'n-a' } }, 401],
      [
        '/v1/node/tasks',
        {
          headers: {
            'x-fedmark-node': 'n-a',
            'x-fedmark-timestamp': String(Date.now()),
            'x-fedmark-nonce': '0'.repeat(32),
            'x-fedmark-signature': 'ab'.repeat(64),
          },
        },
        401,
      ],
      ['/v1/jobs', { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' }, 401],
      [
        '/v1/enroll',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' },
        400,
      ],
      [
        '/v1/enroll',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ version: 1, name: 'x' }),
        },
        400,
      ],
    ];
    for (const [path, init, want] of cases) {
      const res = await fed.coordinatorFetch(url(path), init);
      expect([path, res.status]).toEqual([path, want]);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.message.length).toBeGreaterThan(0);
    }
    const big = await fed.coordinatorFetch(url('/v1/enroll'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(33 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect((await fed.coordinatorFetch(url('/health'))).status).toBe(200);
    await expect(
      fed.operator.createJob({ version: 1, kind: 'segment_stats' } as JobSpecInput)
    ).rejects.toBeInstanceOf(ProtocolError);
  }, 60_000);
});
