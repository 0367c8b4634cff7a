import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fromBase64,
  isProtocolError,
  layoutOf,
  toBase64,
  type JobRoundSpec,
  type Member,
  type Submission,
} from '@fedmark/protocol';
import { regionQuery } from '../_testing/region-release.ts';
import { initNode, loadIdentity, publicIdentity } from '../identity/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { listLedger } from '../ledger/index.ts';
import { loadPolicy, savePolicy } from '../policy/index.ts';
import { findRelease } from '../release/index.ts';
import { memoryUnitSource, type UnitSource } from '../analytics/index.ts';
import { loadHe, saveHeKey } from '../crypto/index.ts';
import { releaseSegmentStats } from '../release/index.ts';
import { createCoordinatorClient } from './client.ts';
import type { AgentContext } from './context.ts';
import { handleDecrypt } from './decrypt.ts';
import { handleJobRound } from './job-round.ts';
import { FakeCoordinator } from './_fake-coordinator.ts';

/**
 * The two attacks of docs/architecture.md §3 that a dishonest coordinator could run alone:
 * differencing two decryptions of one round, and sending different round specs to different
 * nodes under one layout.
 */
const NAMES = ['a', 'b', 'c', 'd'] as const;
const dirs: Record<string, string> = {};
let members: Member[];
let coord: FakeCoordinator;
const logs: { node: string; event: string; detail: Record<string, unknown> }[] = [];
const query = regionQuery(0.5);
const layout = layoutOf(query);
/** One deadline for every spec of a round: it is part of the hashed spec. */
const DEADLINE = new Date(Date.now() + 600_000).toISOString();

/** n north customers with one purchase each, 2 south (under k = 10: suppressed). */
function sourceFor(node: string): UnitSource {
  const north = { a: 11, b: 20, c: 13, d: 15 }[node] as number;
  const ids = [
    ...Array.from({ length: north }, (_, i) => `${node}-N${i}`),
    `${node}-S0`,
    `${node}-S1`,
  ];
  return memoryUnitSource({
    customers: ids.map((customerId) => ({
      customerId,
      signupDay: 20_000,
      attributes: { region: customerId.includes('-S') ? 'south' : 'north' },
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

/** One poll of node `node`: its job_round and decrypt tasks through the agent's handlers. */
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
    source: () => sourceFor(node),
    now: () => Date.now(),
    // Pinned as `fedmark node enroll` pins it.
    coordinatorKey: coord.key.publicKey,
  };
  const tasks = coord.tasks.get(node) ?? [];
  coord.tasks.set(node, []);
  try {
    for (const task of tasks) {
      try {
        if (task.type === 'job_round') await handleJobRound(ctx, task);
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

function spec(q = query): JobRoundSpec {
  return {
    name: 'regions',
    query: q,
    minNodes: 3,
    noise: 'off-test-only',
    deadline: DEADLINE,
  };
}

function failures(node: string): string[] {
  return logs
    .filter((l) => l.node === node && l.event === 'task_failed')
    .map((l) => String(l.detail['error']));
}

function releaseOf(node: string, jobId: string): bigint[] {
  const db = openNodeDatabase(dirs[node] as string);
  const r = findRelease(db, jobId, 0);
  db.close();
  return r?.values ?? [];
}

function ledger(node: string, type: 'decryption' | 'decryption_refused') {
  const db = openNodeDatabase(dirs[node] as string);
  const entries = listLedger(db, { type });
  db.close();
  return entries.map((e) => e.body);
}

/** Every node answers the round it was sent; returns the submissions, by node name. */
async function submitAll(
  jobId: string,
  specs: Record<string, JobRoundSpec>
): Promise<Submission[]> {
  for (const n of NAMES) {
    coord.addTask(n, coord.roundTask(jobId, 0, 'k1', specs[n] ?? spec()));
    await run(n);
  }
  return NAMES.map(
    (n) => coord.submissions.find((s) => s.jobId === jobId && s.node === n) as Submission
  );
}

async function aggregateOf(subs: Submission[]): Promise<string[]> {
  const he = await loadHe('bfv-8192-t40');
  return he.addCiphertexts(subs.map((s) => s.ciphertexts.map((c) => fromBase64(c)))).map(toBase64);
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'fed-decrypt-'));
  for (const n of NAMES) {
    dirs[n] = join(root, n);
    await initNode({ dir: dirs[n] as string, name: n });
  }
  members = NAMES.map((n) => {
    const p = publicIdentity(loadIdentity(dirs[n] as string));
    return { name: p.name, signingKey: p.signingKey, boxKey: p.boxKey };
  });
  coord = new FakeCoordinator(members);
  for (const n of NAMES) {
    const dir = dirs[n] as string;
    const db = openNodeDatabase(dir);
    savePolicy(dir, db, { ...loadPolicy(dir), testOnlyAllowNoiseOff: true }, { reason: 'test' });
    db.close();
  }
  // One epoch key installed at every node directly: the ceremony has its own tests (agent.test.ts).
  const he = await loadHe('bfv-8192-t40');
  const pair = he.generateKeys();
  for (const n of NAMES) {
    saveHeKey(dirs[n] as string, {
      keyId: 'k1',
      heParams: 'bfv-8192-t40',
      generator: 'a',
      members,
      publicKey: pair.publicKey,
      publicKeyHash: he.publicKeyHash(pair.publicKey),
      secretKey: pair.secretKey.slice(),
    });
  }
}, 60_000);

describe('decryption: once per round, over a closed signed set', () => {
  it('refuses a second decryption of the round over another set (differencing), and ledgers both', async () => {
    const subs = await submitAll('job-diff', {});
    const [a, b, c, d] = subs as [Submission, Submission, Submission, Submission];
    coord.addTask('b', coord.decryptTask('job-diff', 0, 'k1', subs, await aggregateOf(subs)));
    await run('b');
    const rest = [b, c, d];
    coord.addTask('b', coord.decryptTask('job-diff', 0, 'k1', rest, await aggregateOf(rest)));
    await run('b');
    const answers = coord.decryptions.filter((x) => x.jobId === 'job-diff' && x.node === 'b');
    // Without the rule both answers came back and their difference was a's release exactly.
    expect(answers).toHaveLength(1);
    expect(answers[0]?.values.slice(0, 4)).toEqual(['59', '0', '0', '67']);
    expect(releaseOf('a', 'job-diff').slice(0, 4)).toEqual([11n, 0n, 0n, 13n]);
    expect(failures('b')).toEqual([
      'CONFLICT: decrypt job-diff/0: this node already decrypted this round for contributors a, b, c, d; refusing another set (b, c, d)',
    ]);
    expect(ledger('b', 'decryption')).toEqual([
      {
        jobId: 'job-diff',
        round: 0,
        setHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        contributors: ['a', 'b', 'c', 'd'],
      },
    ]);
    expect(ledger('b', 'decryption_refused')).toEqual([
      {
        jobId: 'job-diff',
        round: 0,
        setHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        contributors: ['b', 'c', 'd'],
        decryptedSetHash: ledger('b', 'decryption')[0]?.['setHash'],
      },
    ]);
    expect(a.node).toBe('a');
  });

  it('answers the same set again with the stored answer, without a second decryption entry', async () => {
    const subs = NAMES.map(
      (n) => coord.submissions.find((s) => s.jobId === 'job-diff' && s.node === n) as Submission
    );
    const before = coord.decryptions.filter((x) => x.node === 'b').length;
    coord.addTask('b', coord.decryptTask('job-diff', 0, 'k1', subs, await aggregateOf(subs)));
    await run('b');
    const answers = coord.decryptions.filter((x) => x.jobId === 'job-diff' && x.node === 'b');
    expect(answers).toHaveLength(before + 1);
    expect(answers[1]?.signature).toBe(answers[0]?.signature);
    expect(ledger('b', 'decryption')).toHaveLength(1);
    expect(ledger('b', 'decryption_refused')).toHaveLength(1);
  });

  it('refuses a set whose signature is not the pinned coordinator key, or that leaves out its own submission', async () => {
    const subs = await submitAll('job-set', {});
    const [a, b, , d] = subs as [Submission, Submission, Submission, Submission];
    const forged = coord.decryptTask('job-set', 0, 'k1', subs, await aggregateOf(subs));
    const sig = forged.contributorSetSignature;
    coord.tasks.set('c', [
      { ...forged, contributorSetSignature: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) },
      coord.decryptTask('job-set', 0, 'k1', [a, b, d], await aggregateOf([a, b, d])),
    ]);
    await run('c');
    expect(failures('c')).toEqual([
      'INVALID_SIGNATURE: decrypt job-set/0: the contributor set is not signed by the pinned coordinator key',
      "FORBIDDEN: decrypt job-set/0: the contributor set leaves out this node's own submission",
    ]);
    expect(coord.decryptions.filter((x) => x.jobId === 'job-set')).toEqual([]);
    expect(ledger('c', 'decryption')).toEqual([]);
  });
});

describe('round specs: bound by hash and coordinator signature', () => {
  it('refuses to decrypt when another node was sent another asOf in the same round', async () => {
    const other = spec({ ...query, asOf: '2026-10-15' });
    const subs = await submitAll('job-spec', { a: other });
    // Same layout for both specs: the layout hash alone does not tell them apart.
    expect(new Set(subs.map((s) => s.layoutHash))).toEqual(new Set([layout.hash]));
    expect(subs.map((s) => s.specHash === subs[1]?.specHash)).toEqual([false, true, true, true]);
    const agg = await aggregateOf(subs);
    coord.addTask('b', coord.decryptTask('job-spec', 0, 'k1', subs, agg, subs[1]?.specHash));
    await run('b');
    expect(coord.decryptions.filter((x) => x.jobId === 'job-spec')).toEqual([]);
    expect(failures('b').at(-1)).toBe(
      "CONFLICT: decrypt job-spec/0: the contribution of a was made for another round spec than this node's"
    );
  });

  it('refuses (signed refusal) a round whose spec hash or coordinator signature does not verify', async () => {
    const good = coord.roundTask('job-bad', 0, 'k1', spec());
    coord.tasks.set('c', [{ ...good, spec: { ...good.spec, minNodes: 4 } }]);
    await run('c');
    const sig = good.specSignature;
    coord.tasks.set('d', [{ ...good, specSignature: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) }]);
    await run('d');
    expect(
      coord.refusals.filter((r) => r.jobId === 'job-bad').map((r) => [r.node, r.reason])
    ).toEqual([
      ['c', 'SPEC_MISMATCH: the round spec does not hash to the specHash the task names'],
      ['d', 'INVALID_SIGNATURE: the round spec is not signed by the pinned coordinator key'],
    ]);
    expect(coord.submissions.filter((s) => s.jobId === 'job-bad')).toEqual([]);
  });
});
