import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SegmentQuerySchema,
  layoutNoiseVariance,
  layoutOf,
  type JobResult,
  type JobSpecInput,
} from '@fedmark/protocol';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { sleep } from '../packages/coordinator/src/simulate/processes.ts';
import { runAgent } from '../packages/node/src/federation/agent.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { findRelease } from '../packages/node/src/release/index.ts';
import { listLedger } from '../packages/node/src/ledger/index.ts';

/**
 * Dropouts under secure aggregation (docs/secure-aggregation.md "Dropout guarantee"), with a real
 * coordinator process and five real nodes whose agents run here one poll at a time, so the test
 * decides exactly who is gone at each phase. minNodes 3, threshold 3 of 5. Each round must publish
 * the exact sum of the releases whose masked input arrived, whoever dies afterwards, and nodes
 * that died never answered an unmask.
 */
const NODES = ['s-a', 's-b', 's-c', 's-d', 's-e'];
const spec = (name: string, noise: 'on' | 'off-test-only' = 'off-test-only'): JobSpecInput =>
  ({
    version: 1,
    kind: 'segment_stats',
    name,
    minNodes: 3,
    noise,
    stragglerWaitMs: 1000,
    deadlineMs: 6000,
    query: {
      version: 1,
      kind: 'segment_stats',
      purpose: 'analytics',
      asOf: '2026-01-01',
      epsilon: 0.1,
      dimensions: [
        { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
      ],
      measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
    },
  }) as JobSpecInput;

describe('secure aggregation with dropouts (5 nodes, minNodes 3)', () => {
  let workdir: string;
  let fed: LocalFederation;

  const pollOnce = (names: readonly string[]) =>
    Promise.all(
      names.map((n) =>
        runAgent({
          dir: fed.node(n).dir,
          coordinatorUrl: fed.coordinatorUrl,
          maxPolls: 1,
          backoffMs: 20,
          log: () => {},
        })
      )
    );

  async function roundStatus(jobId: string): Promise<string> {
    return (await fed.operator.job(jobId)).rounds[0]?.status ?? 'none';
  }

  /** Polls `names` until the job leaves `running` (the coordinator's own timers run meanwhile). */
  async function driveToEnd(jobId: string, names: readonly string[]): Promise<JobResult> {
    for (let i = 0; i < 80; i++) {
      if ((await fed.operator.job(jobId)).status !== 'running') break;
      await pollOnce(names);
      await sleep(150);
    }
    return fed.operator.result(jobId);
  }

  function releaseOf(node: string, jobId: string): bigint[] | undefined {
    const db = openNodeDatabase(fed.node(node).dir);
    try {
      return findRelease(db, jobId, 0)?.values;
    } finally {
      db.close();
    }
  }

  function ledgerTypes(node: string, jobId: string): string[] {
    const db = openNodeDatabase(fed.node(node).dir);
    try {
      return listLedger(db, { limit: 100_000 })
        .filter((e) => e.body['jobId'] === jobId)
        .map((e) => e.type);
    } finally {
      db.close();
    }
  }

  const sumOf = (vectors: bigint[][]) =>
    (vectors[0] as bigint[]).map((_, i) => vectors.reduce((s, v) => s + (v[i] as bigint), 0n));

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fedmark-secagg-'));
    fed = new LocalFederation({
      workdir,
      startNodes: false,
      allowNoiseOff: true,
      nodes: NODES.map((name, i) => ({
        name,
        data: {
          synth: {
            profile: (['retail', 'bank', 'telecom'] as const)[i % 3] as 'retail',
            customers: 300,
            seed: `sa${i}`,
          },
        },
      })),
    });
    await fed.start();
    // The key ceremony, one poll round at a time, until every member installed the key.
    for (let i = 0; i < 30 && !(await fed.operator.activeKeyEpoch()); i++) await pollOnce(NODES);
    expect(await fed.operator.activeKeyEpoch()).toBeTruthy();
  }, 300_000);

  afterAll(async () => {
    await fed?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  async function maskedInputFrom(
    name: string,
    submitters: readonly string[],
    noise: 'on' | 'off-test-only' = 'off-test-only'
  ): Promise<string> {
    const jobId = await fed.operator.createJob(spec(name, noise));
    await pollOnce(NODES); // every node sends its setup
    expect(await roundStatus(jobId)).toBe('open');
    await pollOnce(submitters); // masked input
    return jobId;
  }

  it('publishes the exact sum when one node dies after its masked input', async () => {
    const jobId = await maskedInputFrom('one dies after input', NODES);
    expect(await roundStatus(jobId)).toBe('decrypting');
    const alive = NODES.filter((n) => n !== 's-e');
    const result = await driveToEnd(jobId, alive);
    expect(result.status).toBe('published');
    expect(result.rounds[0]?.contributingNodes).toEqual(NODES);
    const releases = NODES.map((n) => releaseOf(n, jobId) as bigint[]);
    expect(result.rounds[0]?.values).toEqual(sumOf(releases).map(String));
    // The dead node's self mask was rebuilt from the others' shares; it answered nothing itself.
    expect(ledgerTypes('s-e', jobId)).not.toContain('secagg_unmask');
    for (const n of alive.slice(0, 3)) expect(ledgerTypes(n, jobId)).toContain('secagg_unmask');
  }, 120_000);

  it('publishes the exact sum when two nodes die after their masked input', async () => {
    const jobId = await maskedInputFrom('two die after input', NODES);
    const alive = ['s-a', 's-b', 's-c'];
    const result = await driveToEnd(jobId, alive);
    expect(result.status).toBe('published');
    const releases = NODES.map((n) => releaseOf(n, jobId) as bigint[]);
    expect(result.rounds[0]?.values).toEqual(sumOf(releases).map(String));
    for (const n of ['s-d', 's-e']) expect(ledgerTypes(n, jobId)).not.toContain('secagg_unmask');
  }, 120_000);

  it('publishes the exact sum of the others when a node dies before its masked input', async () => {
    const submitters = NODES.filter((n) => n !== 's-b');
    const jobId = await maskedInputFrom('one dies before input', submitters);
    const result = await driveToEnd(jobId, submitters);
    expect(result.status).toBe('published');
    expect(result.rounds[0]?.contributingNodes).toEqual(submitters);
    expect(releaseOf('s-b', jobId)).toBeUndefined();
    const releases = submitters.map((n) => releaseOf(n, jobId) as bigint[]);
    expect(result.rounds[0]?.values).toEqual(sumOf(releases).map(String));
    // The round's signed sets name it dropped: its mask key, not its self mask, was rebuilt.
    const events = await fed.operator.events(jobId);
    const closed = events.find((e) => e.type === 'round_closed');
    expect(closed?.detail['dropped']).toEqual(['s-b']);
  }, 120_000);

  it('with noise on (distributed Laplace, the default), 4 survivors of shares sized for 3 carry 4/3 of the central variance', async () => {
    const submitters = NODES.filter((n) => n !== 's-c');
    const jobId = await maskedInputFrom('distributed noise', submitters, 'on');
    const result = await driveToEnd(jobId, submitters);
    expect(result.status).toBe('published');
    const round = result.rounds[0];
    expect(round?.mechanism).toBe('distributed-laplace');
    const releases = submitters.map((n) => releaseOf(n, jobId) as bigint[]);
    expect(round?.values).toEqual(sumOf(releases).map(String));
    // One central discrete Laplace release of the query (what local mode adds at every node).
    const layout = layoutOf(SegmentQuerySchema.parse((spec('x') as { query: unknown }).query));
    const central = layoutNoiseVariance(layout, 1);
    round?.noiseVariance.forEach((v, i) => {
      expect(v / (central[i] as number)).toBeCloseTo(4 / 3, 9);
    });
    // Each node released a Polya share sized for the threshold, taken from its own setup.
    for (const n of submitters) {
      const db = openNodeDatabase(fed.node(n).dir);
      try {
        const entry = listLedger(db, { type: 'release', limit: 100_000 }).find(
          (e) => e.body['jobId'] === jobId
        );
        expect(entry?.body).toMatchObject({
          mechanism: 'distributed-laplace',
          shareContributors: 3,
        });
        // The `total` slot: never suppressed (small cells are zeroed with variance 0 after noise).
        const total = layout.blocks.find((b) => b.name === 'total')?.offset ?? -1;
        const share = findRelease(db, jobId, 0)?.variance[total] as number;
        expect(share / (central[total] as number)).toBeCloseTo(1 / 3, 9);
      } finally {
        db.close();
      }
    }
  }, 120_000);

  it('fails (DECRYPTION_TIMEOUT), publishing nothing, when only two survivors remain to unmask', async () => {
    const jobId = await maskedInputFrom('three die after input', NODES);
    const result = await driveToEnd(jobId, ['s-a', 's-b']);
    expect(result.status).toBe('failed');
    expect(result.rounds).toEqual([]);
    expect(result.failure?.code).toBe('DECRYPTION_TIMEOUT');
    expect(result.failure?.message).toMatch(/2 of the 3 unmask answers/);
  }, 120_000);
});
