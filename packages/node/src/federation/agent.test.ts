import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  HE_PARAMS,
  POLICY_SUMMARY_DOMAIN,
  PolicySummarySchema,
  policySummarySigningPayload,
  verifyCanonical,
  applyCorrection,
  fromBase64,
  layoutOf,
  hybridSeal,
  sealedDataKeyHashes,
  generateBoxKeyPair,
  generateSigningKeyPair,
  hexToBytes,
  signCanonical,
  keyBundleSigningPayload,
  keyMembersHash,
  toBase64,
  KEY_BUNDLE_DOMAIN,
  sha256Hex,
  type ContributionRef,
  type JobRoundSpec,
  type JobRoundTask,
  type Member,
  type SegmentQuery,
  type Submission,
} from '@fedmark/protocol';
import { regionQuery } from '../_testing/region-release.ts';
import { initNode, loadIdentity, publicIdentity } from '../identity/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { listLedger } from '../ledger/index.ts';
import { loadPolicy, savePolicy } from '../policy/index.ts';
import { findRelease } from '../release/index.ts';
import { memoryUnitSource, type UnitSource } from '../analytics/index.ts';
import type { EventRow } from '../analytics/types.ts';
import { hasHeKey, loadHe, loadHeKey } from '../crypto/index.ts';
import { runAgent } from './agent.ts';
import { FakeCoordinator } from './_fake-coordinator.ts';

const NAMES = ['a', 'b', 'c'] as const;
const dirs: Record<string, string> = {};
let members: Member[];
let coord: FakeCoordinator;
const logs: { node: string; event: string; detail: Record<string, unknown> }[] = [];

/** North/south customers per node; one canary id with a distinctive spend on node a. */
function sourceFor(node: string): UnitSource {
  const north = { a: 12, b: 20, c: 7 }[node] as number;
  const ids = [
    ...Array.from({ length: north }, (_, i) => `${node}-N${i}`),
    `${node}-S0`,
    `${node}-S1`,
  ];
  if (node === 'a') ids.push('CANARY-93417');
  const customers = ids.map((customerId) => ({
    customerId,
    signupDay: 20_000,
    attributes: { region: customerId.includes('-S') ? 'south' : 'north' },
  }));
  const events: EventRow[] = ids.map((customerId) => ({
    customerId,
    time: Date.parse('2026-10-01T12:00:00Z'),
    type: 'purchase',
    amount: customerId.startsWith('CANARY') ? 87.25 : 10,
    channel: null,
    category: null,
  }));
  return memoryUnitSource({ customers, events, asOf: '2026-11-01' });
}

const query: SegmentQuery = regionQuery(0.5, { monetary: true });
const layout = layoutOf(query);

async function run(node: string, polls = 1): Promise<void> {
  await runAgent({
    dir: dirs[node] as string,
    coordinatorUrl: 'http://coordinator.test:7600',
    fetch: coord.fetch,
    source: () => sourceFor(node),
    maxPolls: polls,
    pollMs: 1,
    backoffMs: 1,
    log: (event, detail) => logs.push({ node, event, detail: detail ?? {} }),
  });
}

/** One deadline for every task of a job: it is part of the signed spec hash. */
const DEADLINE = new Date(Date.now() + 600_000).toISOString();

/** t of the epoch (bfv-8192-t40, as the fake's key_install names it). */
const T = HE_PARAMS['bfv-8192-t40'].plainModulus;

function spec(noise: 'on' | 'off-test-only', minNodes = 3): JobRoundSpec {
  return {
    name: 'regions',
    query,
    minNodes,
    noise,
    mechanism: 'local-laplace',
    delta: 1e-7,
    deadline: DEADLINE,
  };
}

/** The job_round task of round 0, carrying the advertisements of every setup received. */
function roundTask(jobId: string, noise: 'on' | 'off-test-only', minNodes = 3): JobRoundTask {
  return coord.roundTask(jobId, 0, 'k1', spec(noise, minNodes));
}

/** The round's setup phase: every node is sent its secagg_setup task and answers it. */
async function setUp(jobId: string, noise: 'on' | 'off-test-only'): Promise<void> {
  for (const n of NAMES) {
    coord.addTask(n, coord.setupTask(jobId, 0, 'k1', spec(noise)));
    await run(n);
  }
}

function releaseOf(node: string, jobId: string): bigint[] {
  const db = openNodeDatabase(dirs[node] as string);
  try {
    return findRelease(db, jobId, 0)?.values ?? [];
  } finally {
    db.close();
  }
}

function failures(node: string): string[] {
  return logs
    .filter((l) => l.node === node && l.event === 'task_failed')
    .map((l) => String(l.detail['error']));
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'fed-agent-'));
  for (const n of NAMES) {
    dirs[n] = join(root, n);
    await initNode({ dir: dirs[n] as string, name: n, members: 'auto' });
  }
  members = NAMES.map((n) => {
    const p = publicIdentity(loadIdentity(dirs[n] as string));
    return { name: p.name, signingKey: p.signingKey, boxKey: p.boxKey };
  });
  coord = new FakeCoordinator(members);
});

describe('federation agent against a fake coordinator', () => {
  it('runs the key ceremony: a generates, b and c open their boxes, check the key pair and ack', async () => {
    coord.addTask('a', { type: 'key_generate', keyId: 'k1', heParams: 'bfv-8192-t40', members });
    await run('a');
    const bundle = coord.bundles.get('k1');
    expect(Object.keys(bundle?.sealedDataKeys ?? {}).sort()).toEqual(['b', 'c']);
    await run('b');
    await run('c');
    const keys = NAMES.map((n) => loadHeKey(dirs[n] as string, 'k1'));
    const pkHash = sha256Hex(fromBase64(bundle?.publicKey ?? ''));
    expect(keys.map((k) => k.publicKeyHash)).toEqual([pkHash, pkHash, pkHash]);
    expect(toBase64(keys[1]?.secretKey as Uint8Array)).toBe(
      toBase64(keys[0]?.secretKey as Uint8Array)
    );
    expect(coord.acks.map((a) => `${a.node}:${a.keyId}:${a.publicKeyHash}`).sort()).toEqual([
      `b:k1:${pkHash}`,
      `c:k1:${pkHash}`,
    ]);
    for (const n of NAMES) {
      const db = openNodeDatabase(dirs[n] as string);
      const entries = listLedger(db, { type: 'key_ceremony' });
      db.close();
      expect(entries).toHaveLength(1);
      expect(entries[0]?.body).toMatchObject({
        keyId: 'k1',
        role: n === 'a' ? 'generator' : 'member',
        generator: 'a',
        members: ['a', 'b', 'c'],
        publicKeyHash: pkHash,
        membersWithChangedKeys: [],
      });
    }
    // The secret key never travels in clear: only sealed boxes carry it.
    const secretB64 = toBase64(keys[0]?.secretKey as Uint8Array).slice(100, 200);
    expect(coord.requests.some((r) => r.body.includes(secretB64))).toBe(false);
    expect(failures('a').concat(failures('b'), failures('c'))).toEqual([]);
  });

  it('refuses (deferred, ledger) a member whose box key changed since the last epoch: nothing is sealed to it', async () => {
    const swapped = members.map((m) =>
      m.name === 'c'
        ? { ...m, boxKey: Buffer.from(generateBoxKeyPair().publicKey).toString('hex') }
        : m
    );
    coord.addTask('a', {
      type: 'key_generate',
      keyId: 'k9',
      heParams: 'bfv-8192-t40',
      members: swapped,
    });
    await run('a');
    expect(coord.bundles.has('k9')).toBe(false);
    expect(
      logs
        .filter((l) => l.node === 'a' && l.event === 'task_deferred')
        .map((l) => l.detail['error'])
    ).toEqual([
      'key epoch k9 (a, b, c) is not accepted: changed signing or box keys for c; refused unless the node admin approves (fedmark node members approve --epoch k9)',
    ]);
    const db = openNodeDatabase(dirs['a'] as string);
    const k9 = listLedger(db, { type: 'members_refused' }).find((e) => e.body['keyId'] === 'k9');
    db.close();
    expect(k9?.body['changedKeys']).toEqual(['c']);
    coord.tasks.set('a', []);
    coord.tasks.set('b', []);
    coord.tasks.set('c', []);
  });

  it('refuses a key install whose bundle is not signed by the generator or whose box is not from it', async () => {
    const k1 = coord.bundles.get('k1');
    const attacker = { sign: generateSigningKeyPair(), box: generateBoxKeyPair() };
    const { secretKey } = (await loadHe('bfv-8192-t40')).generateKeys();
    // Sealed to b (and c), but by the attacker's box key instead of the generator's.
    const sealed = hybridSeal(
      secretKey,
      members.slice(1).map((m) => ({ name: m.name, boxKey: hexToBytes(m.boxKey) })),
      attacker.box.secretKey
    );
    const forged = {
      publicKey: k1?.publicKey ?? '',
      encryptedSecretKey: toBase64(sealed.encrypted),
      sealedDataKeys: Object.fromEntries(
        Object.entries(sealed.sealedKeys).map(([n, box]) => [n, toBase64(box)])
      ),
      membersHash: keyMembersHash(members),
    };
    const installFor = (keyId: string, signer: Uint8Array) => ({
      type: 'key_install' as const,
      keyId,
      heParams: 'bfv-8192-t40' as const,
      members,
      generator: 'a',
      publicKey: forged.publicKey,
      encryptedSecretKey: forged.encryptedSecretKey,
      sealedDataKey: forged.sealedDataKeys['b'] ?? '',
      sealedDataKeyHashes: sealedDataKeyHashes(forged.sealedDataKeys),
      bundleSignature: signCanonical(
        KEY_BUNDLE_DOMAIN,
        keyBundleSigningPayload({ keyId, ...forged }),
        signer
      ),
    });
    coord.addTask('b', installFor('k2', attacker.sign.secretKey));
    // Signed by the real generator over the accepted members, but the boxes are the attacker's.
    coord.addTask('b', installFor('k3', loadIdentity(dirs['a'] as string).signing.secretKey));
    await run('b');
    expect(failures('b')).toEqual([
      'INVALID_SIGNATURE: key bundle k2 is not signed by its generator a for the members this node accepted',
      "INVALID_SIGNATURE: sealed key for epoch k3 does not open with generator a's box key",
    ]);
    expect(hasHeKey(dirs['b'] as string, 'k2') || hasHeKey(dirs['b'] as string, 'k3')).toBe(false);
    expect(coord.acks.filter((a) => a.keyId !== 'k1')).toEqual([]);
    coord.tasks.set('b', []);
  });

  it('sets up the round, then submits a signed masked round: no ciphertext decrypts alone to its release, no plaintext data leaves', async () => {
    // a and b pin the coordinator's key (setup and round spec signatures are checked); b's
    // receipts are signed by another one: they do not verify (its submission stands).
    const coordinatorFile = (key: Uint8Array) =>
      JSON.stringify({
        version: 1,
        url: 'http://coordinator.test:7600',
        coordinatorKey: Buffer.from(key).toString('hex'),
        enrolledAt: new Date().toISOString(),
      });
    for (const n of ['a', 'b'])
      writeFileSync(
        join(dirs[n] as string, 'coordinator.json'),
        coordinatorFile(coord.key.publicKey),
        {
          mode: 0o600,
        }
      );
    for (const n of NAMES) {
      const dir = dirs[n] as string;
      const db = openNodeDatabase(dir);
      savePolicy(
        dir,
        db,
        { ...loadPolicy(dir), testOnlyAllowNoiseOff: true },
        { reason: 'exactness test' }
      );
      db.close();
    }
    await setUp('job-exact', 'off-test-only');
    expect(coord.adverts('job-exact', 0).map((a) => a.node)).toEqual(['a', 'b', 'c']);
    for (const n of NAMES) {
      const db = openNodeDatabase(dirs[n] as string);
      expect(listLedger(db, { type: 'secagg_setup' }).map((e) => e.body)).toEqual([
        { jobId: 'job-exact', round: 0, participants: ['a', 'b', 'c'], threshold: 3 },
      ]);
      db.close();
      coord.addTask(n, roundTask('job-exact', 'off-test-only'));
    }
    coord.forgedReceipts.add('b');
    for (const n of NAMES) await run(n);
    coord.forgedReceipts.delete('b');
    expect(logs.filter((l) => l.event === 'receipt_invalid').map((l) => l.node)).toEqual(['b']);
    expect(coord.submissions.map((s) => s.node).sort()).toEqual(['a', 'b', 'c']);
    const he = await loadHe('bfv-8192-t40');
    for (const s of coord.submissions) {
      expect(Object.keys(s).sort()).toEqual([
        'ciphertextHashes',
        'ciphertexts',
        'enforced',
        'jobId',
        'keyId',
        'layoutHash',
        'node',
        'round',
        'signature',
        'specHash',
        'version',
      ]);
      expect(s.enforced).toEqual({ minCohort: 10, epsilon: 0.5, noise: 'off-test-only' });
      expect(s.layoutHash).toBe(layout.hash);
      const dir = dirs[s.node] as string;
      const release = releaseOf(s.node, 'job-exact');
      expect(release).toHaveLength(layout.length);
      // Every member holds the epoch key: alone, a contribution decrypts to its mask, not to it.
      const values = he.decrypt(
        s.ciphertexts.map((c) => fromBase64(c)),
        loadHeKey(dir, 'k1').secretKey,
        layout.length
      );
      expect(values.filter((v, i) => v === release[i])).toEqual([]);
    }
    // Node a, noise off: counts north 13 (12 + canary), south suppressed (2 < k = 10): [13, 0, 0 (other), total 15, ...].
    expect(releaseOf('a', 'job-exact').slice(0, 4)).toEqual([13n, 0n, 0n, 15n]);
    // Egress: no customer id, no per-record value, no row count in clear.
    const sent = coord.requests.map((r) => r.body).join('\n');
    expect(sent).not.toContain('CANARY');
    expect(sent).not.toContain('87.25');
    expect(sent).not.toMatch(/"rows"/);
  });

  it('re-sends the very same submission bytes after a restart and is not charged twice', async () => {
    const first = coord.requests.find((r) => r.node === 'a' && r.path.endsWith('/submission'));
    coord.addTask('a', roundTask('job-exact', 'off-test-only'));
    await run('a');
    const sends = coord.requests.filter(
      (r) => r.node === 'a' && r.path === '/v1/node/jobs/job-exact/rounds/0/submission'
    );
    expect(sends).toHaveLength(2);
    expect(sends[1]?.body).toBe(first?.body);
    const db = openNodeDatabase(dirs['a'] as string);
    expect(
      listLedger(db, { type: 'release' }).filter((e) => e.body['jobId'] === 'job-exact')
    ).toHaveLength(1);
    db.close();
  });

  it('re-sends the identical setup bytes after a restart, with one setup ledger entry', async () => {
    const path = '/v1/node/jobs/job-exact/rounds/0/secagg/setup';
    const first = coord.requests.filter((r) => r.node === 'c' && r.path === path);
    expect(first).toHaveLength(1);
    // The coordinator lists the setup task again (it lost the answer): a fresh agent run answers.
    coord.addTask('c', coord.setupTask('job-exact', 0, 'k1', spec('off-test-only')));
    await run('c');
    const sends = coord.requests.filter((r) => r.node === 'c' && r.path === path);
    expect(sends).toHaveLength(2);
    expect(sends[1]?.body).toBe(first[0]?.body);
    expect(failures('c')).toEqual([]);
    const db = openNodeDatabase(dirs['c'] as string);
    expect(listLedger(db, { type: 'secagg_setup' })).toHaveLength(1);
    db.close();
  });

  it('survivors answer the signed sets: self-mask shares of the survivors, nothing else, ledgered', async () => {
    const sets = { survivors: ['a', 'b', 'c'], dropped: [] };
    for (const n of NAMES) {
      coord.addTask(n, coord.unmaskTask('job-exact', 0, 'k1', n, sets));
      await run(n);
    }
    const answers = coord.unmasks.get('job-exact/0') ?? [];
    expect(answers.map((u) => u.node)).toEqual(['a', 'b', 'c']);
    for (const u of answers) {
      expect(Object.keys(u.selfShares).sort()).toEqual(['a', 'b', 'c']);
      expect(u.keyShares).toEqual({});
    }
    const db = openNodeDatabase(dirs['a'] as string);
    expect(listLedger(db, { type: 'secagg_unmask' }).map((e) => e.body)).toEqual([
      {
        jobId: 'job-exact',
        round: 0,
        setsHash: answers[0]?.setsHash,
        survivors: ['a', 'b', 'c'],
        dropped: [],
      },
    ]);
    db.close();
  });

  it('decrypts an aggregate of >= minNodes signed contributions and posts the signed masked sum, which the correction unmasks', async () => {
    const he = await loadHe('bfv-8192-t40');
    const subs = coord.submissions.filter((s) => s.jobId === 'job-exact');
    const aggregate = he
      .addCiphertexts(subs.map((s) => s.ciphertexts.map((c) => fromBase64(c))))
      .map(toBase64);
    coord.addTask('b', coord.decryptTask('job-exact', 0, 'k1', subs, aggregate));
    await run('b');
    expect(coord.decryptions).toHaveLength(1);
    const expected = NAMES.map((n) => releaseOf(n, 'job-exact')).reduce((acc, v) =>
      acc.map((x, i) => x + (v[i] as bigint))
    );
    const masked = (coord.decryptions[0]?.values ?? []).map((v) => BigInt(v));
    expect(masked).not.toEqual(expected);
    const sets = { survivors: ['a', 'b', 'c'], dropped: [] };
    const correction = await coord.correction('job-exact', 0, sets, layout.length, T);
    const sum = applyCorrection(masked, correction, T);
    expect(sum).toEqual(expected);
    // north = 13 + 20 (c's 7 and every south cell of 2 are under k = 10: suppressed), total = 15 + 22 + 9.
    expect(sum.slice(0, 4)).toEqual([33n, 0n, 0n, 46n]);
  });

  it('refuses to decrypt with fewer than minNodes contributors or a forged signature; a tampered aggregate decrypts to masked noise', async () => {
    const he = await loadHe('bfv-8192-t40');
    const subs = coord.submissions.filter((s) => s.jobId === 'job-exact');
    const cts = (s: Submission) => s.ciphertexts.map((c) => fromBase64(c));
    const two = he.addCiphertexts(subs.slice(0, 2).map(cts)).map(toBase64);
    const three = he.addCiphertexts(subs.map(cts)).map(toBase64);
    const task = (s: Submission[], aggregate: string[]) =>
      coord.decryptTask('job-exact', 0, 'k1', s, aggregate);
    // A forged contribution signature: the coordinator's set signature covers names and hashes
    // only, so it still verifies and the contribution's own signature is what fails.
    const forged = task(subs, three);
    const contributions = [...forged.contributions];
    const sig = (contributions[2] as ContributionRef).signature;
    contributions[2] = {
      ...(contributions[2] as ContributionRef),
      signature: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1),
    };
    // The set of all three, with the sum of only two as its aggregate: c no longer fetches each
    // ciphertext to re-add them (docs/secure-aggregation.md), and needs not: the two masked
    // inputs' sum keeps their masks with the third node, so even unmasked it is noise.
    coord.tasks.set('c', [
      task(subs.slice(0, 2), two),
      { ...forged, contributions },
      task(subs, two),
    ]);
    await run('c');
    expect(failures('c')).toEqual([
      'QUORUM_NOT_MET: decrypt job-exact/0: 2 distinct signed contributions, at least 3 required; refusing to decrypt',
      `INVALID_SIGNATURE: decrypt job-exact/0: contribution of ${subs[2]?.node} is not signed by it`,
    ]);
    const mine = coord.decryptions.filter((d) => d.node === 'c');
    expect(mine).toHaveLength(1);
    const sets = { survivors: ['a', 'b', 'c'], dropped: [] };
    const correction = await coord.correction('job-exact', 0, sets, layout.length, T);
    const unmasked = applyCorrection(
      (mine[0]?.values ?? []).map((v) => BigInt(v)),
      correction,
      T
    );
    const [r0, r1] = [subs[0], subs[1]].map((s) => releaseOf(s?.node ?? '', 'job-exact'));
    const twoPlain = (r0 ?? []).map((x, i) => x + ((r1 ?? [])[i] as bigint));
    expect(unmasked.filter((v, i) => v === twoPlain[i])).toEqual([]);
  });

  it('sends a signed refusal with the policy reason and records it in the ledger', async () => {
    const dir = dirs['c'] as string;
    const db = openNodeDatabase(dir);
    savePolicy(
      dir,
      db,
      { ...loadPolicy(dir), testOnlyAllowNoiseOff: false },
      { reason: 'back to production' }
    );
    db.close();
    await setUp('job-noise-off', 'off-test-only');
    coord.tasks.set('c', [roundTask('job-noise-off', 'off-test-only')]);
    await run('c');
    expect(coord.refusals.map((r) => [r.node, r.jobId, r.reason])).toEqual([
      [
        'c',
        'job-noise-off',
        'POLICY_REFUSED: noise "off-test-only" is refused: this node\'s policy does not set testOnlyAllowNoiseOff (a test-only switch)',
      ],
    ]);
    const db2 = openNodeDatabase(dir);
    expect(listLedger(db2, { type: 'job_refused' }).map((e) => e.body['jobId'])).toEqual([
      'job-noise-off',
    ]);
    db2.close();
  });

  it('retries network errors with backoff and survives a malformed task', async () => {
    await setUp('job-noise', 'on');
    coord.failNext = 2;
    coord.tasks.set('a', [{ type: 'nonsense' } as never, roundTask('job-noise', 'on')]);
    await run('a');
    expect(
      logs.filter((l) => l.node === 'a' && l.event === 'coordinator_unreachable')
    ).toHaveLength(2);
    expect(logs.some((l) => l.node === 'a' && l.event === 'task_malformed')).toBe(true);
    expect(
      coord.submissions.some(
        (s) => s.node === 'a' && s.jobId === 'job-noise' && s.enforced.noise === 'on'
      )
    ).toBe(true);
  });

  it('retries a round after a transient local error (database is locked) instead of dropping it', async () => {
    await setUp('job-busy', 'on');
    coord.tasks.set('b', [roundTask('job-busy', 'on')]);
    let calls = 0;
    const busyOnce = (): UnitSource => {
      calls += 1;
      // What better-sqlite3 throws while `node import` holds the write lock past busy_timeout.
      if (calls === 1) throw new Database.SqliteError('database is locked', 'SQLITE_BUSY');
      return sourceFor('b');
    };
    await runAgent({
      dir: dirs['b'] as string,
      coordinatorUrl: 'http://coordinator.test:7600',
      fetch: coord.fetch,
      source: busyOnce,
      maxPolls: 2,
      pollMs: 1,
      backoffMs: 1,
      log: (event, detail) => logs.push({ node: 'b', event, detail: detail ?? {} }),
    });
    expect(calls).toBe(2);
    expect(coord.submissions.some((s) => s.node === 'b' && s.jobId === 'job-busy')).toBe(true);
    expect(failures('b').filter((e) => e.includes('database is locked'))).toEqual([]);
    expect(
      logs.some(
        (l) =>
          l.node === 'b' &&
          l.event === 'task_deferred' &&
          String(l.detail['error']).includes('database is locked')
      )
    ).toBe(true);
  });

  it('polls again soon after a poll that answered a task: setup, then masked input, in one run at pollMs 60 s', async () => {
    coord.openRound('job-fast', 0, 'k1', spec('on'));
    await run('b');
    await run('c');
    const started = Date.now();
    // a's setup closes the setup phase; the round's job_round task is listed on the next poll.
    await runAgent({
      dir: dirs['a'] as string,
      coordinatorUrl: 'http://coordinator.test:7600',
      fetch: coord.fetch,
      source: () => sourceFor('a'),
      maxPolls: 2,
      pollMs: 60_000,
      backoffMs: 1,
      log: (event, detail) => logs.push({ node: 'a', event, detail: detail ?? {} }),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(coord.submissions.some((s) => s.node === 'a' && s.jobId === 'job-fast')).toBe(true);
  });
  it('tells the coordinator that a budget is exhausted, never how much of it is left', async () => {
    const dir = dirs['b'] as string;
    const db = openNodeDatabase(dir);
    const policy = loadPolicy(dir);
    savePolicy(
      dir,
      db,
      {
        ...policy,
        budgets: [{ purpose: 'analytics', period: 'month', epsilon: 0.3 }],
      },
      { reason: 'a nearly spent budget' }
    );
    db.close();
    await setUp('job-budget', 'on');
    coord.tasks.set('b', [roundTask('job-budget', 'on')]);
    await run('b');
    const refusal = coord.refusals.find((r) => r.node === 'b' && r.jobId === 'job-budget');
    expect(refusal?.reason).toMatch(/^BUDGET_EXCEEDED: /);
    // No amount: neither what is left (0.3) nor what was asked (0.5), nor any other number.
    expect(refusal?.reason).not.toMatch(/[0-9]/);
    // The node's own ledger keeps the figures for its admin and auditors.
    const db2 = openNodeDatabase(dir);
    const local = listLedger(db2, { type: 'job_refused' }).find(
      (e) => e.body['jobId'] === 'job-budget'
    );
    db2.close();
    expect(String(local?.body['reason'])).toMatch(/left; this query needs 0\.5/);
    const restored = openNodeDatabase(dir);
    savePolicy(dir, restored, policy, { reason: 'restore' });
    restored.close();
  });

  it('sends its signed policy summary (no budget in it) once, and again after a policy change', async () => {
    const mine = () => coord.policySummaries.filter((x) => x['node'] === 'c');
    const before = mine().length;
    await run('c', 2);
    expect(mine().length).toBe(before + 1); // a fresh agent sends once, not on every poll
    const dir = dirs['c'] as string;
    const db = openNodeDatabase(dir);
    const policy = loadPolicy(dir);
    savePolicy(dir, db, { ...policy, maxEpsilonPerJob: 1.5 }, { reason: 'tighter jobs' });
    db.close();
    await run('c', 2);
    const last = PolicySummarySchema.parse(mine().at(-1));
    expect(mine().length).toBe(before + 2);
    expect(last.terms.maxEpsilonPerJob).toBe(1.5);
    expect(Object.keys(last.terms).sort()).toEqual([
      'allowedKinds',
      'allowedMechanisms',
      'allowedPurposes',
      'delta',
      'maxEpsilonPerJob',
      'minCohort',
      'minNodes',
      'testOnlyAllowNoiseOff',
    ]);
    const { signature, version: _v, ...signed } = last;
    const key = hexToBytes(members.find((m) => m.name === 'c')?.signingKey ?? '');
    expect(
      verifyCanonical(POLICY_SUMMARY_DOMAIN, policySummarySigningPayload(signed), signature, key)
    ).toBe(true);
  });
});
