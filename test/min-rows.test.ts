import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyPairFromSeed, type JobResult, type JobStatus } from '@fedmark/protocol';
import type { Coordinator } from '../packages/coordinator/src/app.ts';
import {
  admitNode,
  operatorApi,
  startTestCoordinator,
  writeCoordinatorFile,
} from './support/test-coordinator.ts';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { importCsv } from '../packages/node/src/importing/index.ts';
import { listLedger } from '../packages/node/src/ledger/index.ts';
import { runAgent } from '../packages/node/src/federation/agent.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { jobSpend } from '../packages/node/src/privacy/budget.ts';

/**
 * Too few rows, end to end (docs/models.md §9 "Too few rows"): a real coordinator (in process,
 * over app.request) and four real nodes under their default policy, one of which holds 13
 * eligible rows. The smallest train job (one feature, one optimiser round: two rounds) runs
 * with the three others; the tiny node refuses round 0 by its minRowsPerJob.train 100,
 * having released and paid nothing, sits out round 1, and the result names it and why.
 */
const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(12));
const TOKEN = 'operator-token-min-rows';
const ROWS: Record<string, number> = { bank: 150, shop: 140, telco: 160, tiny: 13 };
const NAMES = Object.keys(ROWS);
const REASON =
  'POLICY_REFUSED: node tiny holds fewer eligible rows than its minRowsPerJob.train 100';

let root: string;
let coordinator: Coordinator;
const dirOf = (n: string) => join(root, n);
const fetchApp = (url: string, init: RequestInit) =>
  Promise.resolve(coordinator.app.request(url, init));

const op = <T>(method: string, path: string, body?: unknown): Promise<T> =>
  operatorApi(coordinator, TOKEN)<T>(method, path, body);

/** One poll of every node, in turn (each answers what it was listed, as its agent would). */
const pollAll = async () => {
  for (const n of NAMES)
    await runAgent({
      dir: dirOf(n),
      coordinatorUrl: 'http://coordinator.test',
      fetch: fetchApp,
      maxPolls: 1,
      backoffMs: 10,
      log: () => {},
    });
};

const nodeDb = <T>(n: string, f: (db: ReturnType<typeof openNodeDatabase>) => T): T => {
  const db = openNodeDatabase(dirOf(n));
  try {
    return f(db);
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fedmark-min-rows-'));
  coordinator = startTestCoordinator(COORD, TOKEN);
  for (const [n, rows] of Object.entries(ROWS)) {
    const dir = dirOf(n);
    await initNode({ dir, name: n, members: 'auto' });
    writeCoordinatorFile(dir, 'http://coordinator.test', COORD.publicKey);
    const identity = loadIdentity(dir);
    const lines = ['customer_id,tenure,churn'];
    for (let i = 0; i < rows; i++)
      lines.push(`${n}-${i},${(i * 7) % 72},${(i * 7) % 72 < 20 ? 'Yes' : 'No'}`);
    const file = join(root, `${n}.csv`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const db = openNodeDatabase(dir);
    try {
      await importCsv(db, identity, {
        kind: 'table',
        table: 'churn',
        file,
        lawfulBasis: [{ purpose: 'model_training', basis: 'contract' }],
      });
    } finally {
      db.close();
    }
    await admitNode(coordinator, TOKEN, identity);
  }
  // The key ceremony, one poll of every node at a time, until the epoch is active.
  for (let i = 0; i < 10; i++) {
    await pollAll();
    const res = await coordinator.app.request('/v1/admin/keys/active', {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (res.status === 200) break;
  }
}, 180_000);

afterAll(() => {
  coordinator?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('a node below minRowsPerJob in a train job', () => {
  it('is excluded with its reason and the job completes with the others', async () => {
    const { jobId } = await op<{ jobId: string }>('POST', '/v1/jobs', {
      version: 1,
      kind: 'train',
      name: 'churn, one tiny node',
      minNodes: 3,
      // Every node's setup is in before round 0's setup phase closes (all four answer within one
      // poll of each): closed with exactly the threshold, the tiny node among them, the round
      // could not survive its refusal (docs/secure-aggregation.md "Dropout guarantee").
      stragglerWaitMs: 30_000,
      train: {
        version: 1,
        kind: 'train',
        purpose: 'model_training',
        table: 'churn',
        label: { column: 'churn', positive: 'Yes' },
        features: [{ type: 'numeric', column: 'tenure', lower: 0, upper: 72 }],
        rounds: 1,
        epsilon: 1,
        minNodes: 3,
      },
    });
    for (let i = 0; i < 40; i++) {
      if ((await op<JobStatus>('GET', `/v1/jobs/${jobId}`)).status !== 'running') break;
      await pollAll();
    }
    const result = await op<JobResult>('GET', `/v1/jobs/${jobId}/result`);
    expect(result.failure).toBeUndefined();
    expect(result.status).toBe('published');
    expect(result.excluded).toEqual([{ node: 'tiny', rounds: [0], reason: REASON }]);
    expect(result.rounds.map((r) => r.contributingNodes)).toEqual([
      ['bank', 'shop', 'telco'],
      ['bank', 'shop', 'telco'],
    ]);
    expect(result.model?.training.roundsDone).toBe(1);
    // Having refused round 0, the tiny node sat out round 1: it was not asked to set it up.
    const status = await op<JobStatus>('GET', `/v1/jobs/${jobId}`);
    expect(status.rounds.map((r) => r.nodes.find((n) => n.name === 'tiny'))).toEqual([
      { name: 'tiny', state: 'refused', reason: REASON },
      { name: 'tiny', state: 'excluded', reason: 'refused an earlier round' },
    ]);
    expect(status.excluded).toEqual(result.excluded);
    // Its refusal in its own ledger with its count, no release, nothing charged.
    nodeDb('tiny', (db) => {
      const refused = listLedger(db, { type: 'job_refused' }).filter(
        (e) => e.body['jobId'] === jobId
      );
      expect(refused.map((e) => [e.body['round'], e.body['reason']])).toEqual([
        [
          0,
          'node tiny: 13 eligible rows < minRowsPerJob.train 100 (customers with model_training consent in force)',
        ],
      ]);
      expect(listLedger(db, { type: 'secagg_setup' }).map((e) => e.body['round'])).toEqual([0]);
      expect(listLedger(db, { type: 'release' }).filter((e) => e.body['jobId'] === jobId)).toEqual(
        []
      );
      expect(jobSpend(db, jobId).gaussianRhoPico).toBe(0n);
      expect(jobSpend(db, jobId).pureMicro).toBe(0);
    });
  }, 180_000);
});
