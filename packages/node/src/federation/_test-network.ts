/**
 * Internal test helper: a few nodes with one installed key epoch and a FakeCoordinator, each
 * poll of a node running its queued tasks through the agent's handlers in the agent's order
 * (setup, masked input, unmask, decrypt), with the coordinator's key pinned. decrypt.test.ts and
 * secagg.test.ts build on it; agent.test.ts drives runAgent itself.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HE_PARAMS,
  fromBase64,
  isProtocolError,
  toBase64,
  type JobRoundSpec,
  type LedgerEntryType,
  type Member,
  type Submission,
  type Task,
} from '@fedmark/protocol';
import { memoryUnitSource, type UnitSource } from '../analytics/index.ts';
import { loadHe, saveHeKey } from '../crypto/index.ts';
import { initNode, loadIdentity, publicIdentity } from '../identity/index.ts';
import { listLedger } from '../ledger/index.ts';
import { loadPolicy, savePolicy } from '../policy/index.ts';
import { findRelease, releaseSegmentStats } from '../release/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { createCoordinatorClient } from './client.ts';
import type { AgentContext } from './context.ts';
import { handleDecrypt } from './decrypt.ts';
import { handleJobRound } from './job-round.ts';
import { handleSecaggSetup } from './secagg-setup.ts';
import { handleSecaggUnmask } from './secagg-unmask.ts';
import { FakeCoordinator } from './_fake-coordinator.ts';

export const TEST_HE_PARAMS = 'bfv-8192-t40' as const;
/** t of the test epoch: masks and values live in Z_t. */
export const TEST_MODULUS = HE_PARAMS[TEST_HE_PARAMS].plainModulus;

const ORDER: Record<Task['type'], number> = {
  key_generate: 0,
  key_install: 1,
  secagg_setup: 2,
  job_round: 3,
  secagg_unmask: 4,
  decrypt: 5,
  overlap: 6,
};

export interface TestNetwork {
  dirs: Record<string, string>;
  members: Member[];
  coord: FakeCoordinator;
  logs: { node: string; event: string; detail: Record<string, unknown> }[];
  /** One poll of `node`: its queued tasks, through the handlers. */
  run(node: string): Promise<void>;
  /** `CODE: message` of every task of `node` that failed, in order. */
  failures(node: string): string[];
  ledger(node: string, type: LedgerEntryType): Record<string, unknown>[];
  releaseOf(node: string, jobId: string): bigint[];
  /** Setup then masked input by every node of `nodes` (default all), round 0; their submissions. */
  submitAll(
    jobId: string,
    specOf: (node: string) => JobRoundSpec,
    nodes?: readonly string[]
  ): Promise<Submission[]>;
  /** The secagg_unmask task of the sets to each holder (default: every survivor), then a poll. */
  unmaskAll(
    jobId: string,
    sets: { survivors: string[]; dropped: string[] },
    holders?: readonly string[]
  ): Promise<void>;
  aggregateOf(subs: readonly Submission[]): Promise<string[]>;
}

export async function createTestNetwork(o: {
  prefix: string;
  names: readonly string[];
  sourceFor: (node: string) => UnitSource;
}): Promise<TestNetwork> {
  const root = mkdtempSync(join(tmpdir(), o.prefix));
  const dirs: Record<string, string> = {};
  for (const n of o.names) {
    dirs[n] = join(root, n);
    await initNode({ dir: dirs[n] as string, name: n });
  }
  const members = o.names.map((n) => {
    const p = publicIdentity(loadIdentity(dirs[n] as string));
    return { name: p.name, signingKey: p.signingKey, boxKey: p.boxKey };
  });
  const coord = new FakeCoordinator(members);
  for (const n of o.names) {
    const dir = dirs[n] as string;
    const db = openNodeDatabase(dir);
    savePolicy(dir, db, { ...loadPolicy(dir), testOnlyAllowNoiseOff: true }, { reason: 'test' });
    db.close();
  }
  // One epoch key installed at every node directly: the ceremony has its own tests (agent.test.ts).
  const he = await loadHe(TEST_HE_PARAMS);
  const pair = he.generateKeys();
  for (const n of o.names) {
    saveHeKey(dirs[n] as string, {
      keyId: 'k1',
      heParams: TEST_HE_PARAMS,
      generator: o.names[0] as string,
      members,
      publicKey: pair.publicKey,
      publicKeyHash: he.publicKeyHash(pair.publicKey),
      secretKey: pair.secretKey.slice(),
    });
  }
  const logs: TestNetwork['logs'] = [];

  async function run(node: string): Promise<void> {
    const dir = dirs[node] as string;
    const identity = loadIdentity(dir);
    const db = openNodeDatabase(dir);
    const log = (event: string, detail?: Record<string, unknown>) =>
      logs.push({ node, event, detail: detail ?? {} });
    const ctx: AgentContext = {
      dir,
      identity,
      db,
      client: createCoordinatorClient({
        coordinatorUrl: 'http://coordinator.test:7600',
        identity,
        log,
        fetch: coord.fetch,
        backoffMs: 1,
      }),
      log,
      release: releaseSegmentStats,
      policy: () => loadPolicy(dir),
      source: () => o.sourceFor(node),
      now: () => Date.now(),
      // Pinned as `fedmark node enroll` pins it.
      coordinatorKey: coord.key.publicKey,
    };
    const tasks = [...(coord.tasks.get(node) ?? [])].sort((x, y) => ORDER[x.type] - ORDER[y.type]);
    coord.tasks.set(node, []);
    try {
      for (const task of tasks) {
        try {
          if (task.type === 'secagg_setup') await handleSecaggSetup(ctx, task);
          else if (task.type === 'job_round') await handleJobRound(ctx, task);
          else if (task.type === 'secagg_unmask') await handleSecaggUnmask(ctx, task);
          else if (task.type === 'decrypt') await handleDecrypt(ctx, task);
        } catch (err) {
          const error = isProtocolError(err) ? `${err.code}: ${err.message}` : String(err);
          log('task_failed', { error });
        }
      }
    } finally {
      db.close();
    }
  }

  const withDb = <T>(node: string, f: (db: ReturnType<typeof openNodeDatabase>) => T): T => {
    const db = openNodeDatabase(dirs[node] as string);
    try {
      return f(db);
    } finally {
      db.close();
    }
  };

  return {
    dirs,
    members,
    coord,
    logs,
    run,
    failures: (node) =>
      logs
        .filter((l) => l.node === node && l.event === 'task_failed')
        .map((l) => String(l.detail['error'])),
    ledger: (node, type) => withDb(node, (db) => listLedger(db, { type }).map((e) => e.body)),
    releaseOf: (node, jobId) => withDb(node, (db) => findRelease(db, jobId, 0)?.values ?? []),
    async submitAll(jobId, specOf, nodes = o.names) {
      for (const n of nodes) {
        coord.addTask(n, coord.setupTask(jobId, 0, 'k1', specOf(n), { participants: [...nodes] }));
        await run(n);
      }
      for (const n of nodes) {
        coord.addTask(n, coord.roundTask(jobId, 0, 'k1', specOf(n)));
        await run(n);
      }
      return nodes.map(
        (n) => coord.submissions.find((s) => s.jobId === jobId && s.node === n) as Submission
      );
    },
    async unmaskAll(jobId, sets, holders = sets.survivors) {
      for (const n of holders) {
        coord.addTask(n, coord.unmaskTask(jobId, 0, 'k1', n, sets));
        await run(n);
      }
    },
    async aggregateOf(subs) {
      return he
        .addCiphertexts(subs.map((s) => s.ciphertexts.map((c) => fromBase64(c))))
        .map(toBase64);
    },
  };
}

/**
 * A node's data for the round tests: `ids` customers, each with one purchase of 10 on
 * 2026-10-01 (asOf 2026-11-01), the region attribute `regionOf` gives (none when omitted).
 */
export function onePurchaseEach(ids: string[], regionOf?: (id: string) => string): UnitSource {
  return memoryUnitSource({
    customers: ids.map((customerId) => ({
      customerId,
      signupDay: 20_000,
      attributes: (regionOf ? { region: regionOf(customerId) } : {}) as Record<string, string>,
    })),
    events: ids.map((customerId) => ({
      customerId,
      time: Date.parse('2026-10-01T12:00:00Z'),
      type: 'purchase',
      amount: 10,
      channel: null,
      category: null,
    })),
    asOf: '2026-11-01',
  });
}
