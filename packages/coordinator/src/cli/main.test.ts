import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import {
  JobSpecSchema,
  bytesToHex,
  generateBoxKeyPair,
  generateSigningKeyPair,
  tlsFingerprint,
} from '@fedmark/protocol';
import { run } from './main.ts';
import { createCoordinator, type Coordinator } from '../app.ts';
import { openCoordinatorDir } from './coordinator-dir.ts';
import { checkedTemplate } from '../jobs/templates.ts';
import { setupRound } from '../jobs/_secagg-testing.ts';
import {
  fakeSealBlob,
  federation,
  harness,
  makeRefusal,
  specHashOf,
  testNode,
  type TestNode,
  captureCli,
} from '../_testing.ts';

const root = mkdtempSync(join(tmpdir(), 'coord-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Serves `coord` over real HTTP on 127.0.0.1 (a free port), for the CLI's job commands to call. */
function listen(coord: Coordinator): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: coord.app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
    );
  });
}

describe('fedmark coordinator CLI', () => {
  const dir = join(root, 'coord');

  it('init creates the database, key and a 0600 token file, prints the token once, and refuses to run twice', async () => {
    const c = captureCli();
    expect(await run(['coordinator', 'init', '--dir', dir, '--json'], c.io)).toBe(0);
    const printed = JSON.parse(c.out());
    expect(printed.token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'operator.token'), 'utf8').trim()).toBe(printed.token);
    expect(statSync(join(dir, 'operator.token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'coordinator.key')).mode & 0o777).toBe(0o600);
    // The databases hold the federation's jobs, nonces and log: owner-only too, with their WAL
    // files, once a started coordinator has written to them.
    const opened = openCoordinatorDir(dir);
    opened.transparencyDb.prepare('CREATE TABLE IF NOT EXISTS probe (x)').run();
    for (const f of [
      'coordinator.db',
      'coordinator.db-wal',
      'transparency.db',
      'transparency.db-wal',
    ]) {
      expect({ f, mode: statSync(join(dir, f)).mode & 0o777 }).toEqual({ f, mode: 0o600 });
    }
    opened.store.close();
    opened.transparencyDb.close();
    const again = captureCli();
    expect(await run(['coordinator', 'init', '--dir', dir], again.io)).toBe(25);
    expect(again.err()).toBe(
      `error: ${dir} already holds a coordinator (operator.token exists); refusing to overwrite it\n`
    );
  });

  it('init also writes a distinct 0600 auditor token that openCoordinatorDir loads; auditor-token adds one only where none exists', async () => {
    const d2 = join(root, 'coord-auditor');
    const c = captureCli();
    expect(await run(['coordinator', 'init', '--dir', d2, '--json'], c.io)).toBe(0);
    const printed = JSON.parse(c.out());
    expect(printed.auditorToken).toMatch(/^[0-9a-f]{64}$/);
    expect(printed.auditorToken).not.toBe(printed.token);
    expect(printed.auditorTokenFile).toBe(join(d2, 'auditor.token'));
    expect(readFileSync(join(d2, 'auditor.token'), 'utf8')).toBe(`${printed.auditorToken}\n`);
    expect(statSync(join(d2, 'auditor.token')).mode & 0o777).toBe(0o600);
    const opened = openCoordinatorDir(d2);
    expect(opened.auditorToken).toBe(printed.auditorToken);
    expect(opened.operatorToken).toBe(printed.token);
    opened.store.close();
    opened.transparencyDb.close();

    const exists = captureCli();
    expect(await run(['coordinator', 'auditor-token', '--dir', d2], exists.io)).toBe(25);
    expect(exists.err()).toBe(
      `error: ${join(d2, 'auditor.token')} already exists; refusing to overwrite it (read the token from that file)\n`
    );
    // A directory from before the auditor role: no auditor.token, so no auditor role until one is added.
    rmSync(join(d2, 'auditor.token'));
    const old = openCoordinatorDir(d2);
    expect(old.auditorToken).toBeUndefined();
    old.store.close();
    old.transparencyDb.close();
    const added = captureCli();
    expect(await run(['coordinator', 'auditor-token', '--dir', d2, '--json'], added.io)).toBe(0);
    const a = JSON.parse(added.out());
    expect(a.auditorToken).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(d2, 'auditor.token')).mode & 0o777).toBe(0o600);
    const reopened = openCoordinatorDir(d2);
    expect(reopened.auditorToken).toBe(a.auditorToken);
    reopened.store.close();
    reopened.transparencyDb.close();
  });

  it('admits a node and issues an enrollment token; bad keys exit 23 with the field named', async () => {
    const c = captureCli();
    const sk = bytesToHex(generateSigningKeyPair().publicKey);
    const bk = bytesToHex(generateBoxKeyPair().publicKey);
    expect(
      await run(
        [
          'coordinator',
          'admit',
          '--dir',
          dir,
          '--name',
          'bank',
          '--signing-key',
          sk,
          '--box-key',
          bk,
        ],
        c.io
      )
    ).toBe(0);
    const keys = captureCli();
    const keyFile = join(root, 'coordinator.keys.json');
    expect(
      await run(['coordinator', 'keys', '--dir', dir, '--out', keyFile, '--json'], keys.io)
    ).toBe(0);
    const coordinatorKey = (JSON.parse(keys.out()) as { signingKey: string }).signingKey;
    const opened = openCoordinatorDir(dir);
    expect(coordinatorKey).toBe(bytesToHex(opened.coordinatorKey.publicKey));
    opened.store.close();
    opened.transparencyDb.close();
    const tlsPin = tlsFingerprint(readFileSync(join(dir, 'tls.crt'), 'utf8'));
    expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toEqual({
      version: 1,
      kind: 'fedmark-coordinator-public-key',
      signingKey: coordinatorKey,
      tlsFingerprint: tlsPin,
    });
    expect(c.out()).toBe(
      'admitted bank; key epoch k1 starts (generator bank)\n' +
        `coordinator signing key: ${coordinatorKey}\n` +
        `next, on the node: fedmark node pin-coordinator --dir <node dir> --coordinator <this coordinator's URL> --key ${coordinatorKey} --tls-fingerprint ${tlsPin}\n`
    );
    const bad = captureCli();
    expect(
      await run(
        [
          'coordinator',
          'admit',
          '--dir',
          dir,
          '--name',
          'shop',
          '--signing-key',
          'xyz',
          '--box-key',
          bk,
        ],
        bad.io
      )
    ).toBe(23);
    expect(bad.err()).toBe(
      'error: signingKey: expected a 32-byte key as 64 lower-case hex characters\n'
    );
    const t = captureCli();
    expect(
      await run(['coordinator', 'enroll-token', '--dir', dir, '--name', 'shop', '--json'], t.io)
    ).toBe(0);
    expect(JSON.parse(t.out())).toMatchObject({
      name: 'shop',
      token: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const n = captureCli();
    expect(await run(['coordinator', 'nodes', '--dir', dir, '--json'], n.io)).toBe(0);
    expect(JSON.parse(n.out()).epochs).toEqual([
      { keyId: 'k1', state: 'generating', generator: 'bank', members: ['bank'], acked: [] },
    ]);
    const text = captureCli();
    expect(await run(['coordinator', 'nodes', '--dir', dir], text.io)).toBe(0);
    expect(text.out()).toBe(
      [
        'node  signing key        last seen',
        '----  -----------------  ---------',
        `bank  ${sk.slice(0, 16)}…  never`,
        '',
        'key epoch  state       members  installed',
        '---------  ----------  -------  ---------',
        'k1         generating  bank     0/1',
        '',
      ].join('\n')
    );
    // The node's public-key file (fedmark node keys --out) admits it too; a bad one names the field.
    const nodeKeys = join(root, 'shop.keys.json');
    const shopKey = bytesToHex(generateSigningKeyPair().publicKey);
    writeFileSync(
      nodeKeys,
      JSON.stringify({
        version: 1,
        kind: 'fedmark-node-public-keys',
        name: 'shop',
        signingKey: shopKey,
        boxKey: bk,
      })
    );
    const byFile = captureCli();
    expect(
      await run(['coordinator', 'admit', '--dir', dir, '--keys', nodeKeys, '--json'], byFile.io)
    ).toBe(0);
    expect(JSON.parse(byFile.out())).toMatchObject({
      node: { name: 'shop', signingKey: shopKey },
      keyEpoch: 'k2',
      coordinatorKey,
    });
    writeFileSync(
      nodeKeys,
      JSON.stringify({
        version: 1,
        kind: 'fedmark-node-public-keys',
        name: 'shop',
        signingKey: 'xyz',
        boxKey: bk,
      })
    );
    const badFile = captureCli();
    expect(await run(['coordinator', 'admit', '--dir', dir, '--keys', nodeKeys], badFile.io)).toBe(
      23
    );
    expect(badFile.err()).toBe(
      `error: ${nodeKeys}: signingKey: expected a 32-byte key as 64 lower-case hex characters\n`
    );
    const both = captureCli();
    expect(
      await run(['coordinator', 'admit', '--dir', dir, '--keys', nodeKeys, '--name', 'x'], both.io)
    ).toBe(2);
  });

  it('a missing directory exits 24 NO_COORDINATOR', async () => {
    const c = captureCli();
    expect(await run(['coordinator', 'nodes', '--dir', join(root, 'nope')], c.io)).toBe(24);
    expect(c.err()).toContain('no coordinator at');
  });

  it('job commands talk to a running coordinator: list, create refused without an active key (exit 25), unknown job (26)', async () => {
    const d = openCoordinatorDir(dir);
    const coord = createCoordinator({ ...d, timers: false, log: () => {} });
    const { server, url } = await listen(coord);
    try {
      const env = { FEDMARK_COORDINATOR_URL: url, FEDMARK_TOKEN: d.operatorToken };
      const list = captureCli(env);
      expect(await run(['job', 'list', '--json'], list.io)).toBe(0);
      expect(JSON.parse(list.out())).toEqual({ version: 1, jobs: [] });
      const listText = captureCli(env);
      expect(await run(['job', 'list'], listText.io)).toBe(0);
      expect(listText.out()).toBe('no jobs\n');
      const specFile = join(root, 'rfm.json');
      const t = captureCli();
      expect(await run(['job', 'template', 'rfm', '--as-of', '2026-01-31'], t.io)).toBe(0);
      expect(JobSpecSchema.parse(JSON.parse(t.out())).kind).toBe('rfm');
      writeFileSync(specFile, t.out());
      const create = captureCli(env);
      expect(await run(['job', 'create', '--spec', specFile, '--wait', '0'], create.io)).toBe(25);
      expect(create.err()).toBe(
        'error [KEY_EPOCH_PENDING]: key epoch k2 is not active: waiting for bank to generate the HE keys\n'
      );
      // With a wait, the same refusal is retried (said once) until the wait runs out.
      const waited = captureCli(env);
      const t0 = Date.now();
      expect(await run(['job', 'create', '--spec', specFile, '--wait', '2'], waited.io)).toBe(25);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
      expect(waited.err()).toBe(
        'waiting: key epoch k2 is not active: waiting for bank to generate the HE keys\n' +
          'error [KEY_EPOCH_PENDING]: key epoch k2 is not active: waiting for bank to generate the HE keys\n'
      );
      const missing = captureCli(env);
      expect(await run(['job', 'result', 'j-0000000000000000'], missing.io)).toBe(26);
      const badToken = captureCli({ ...env, FEDMARK_TOKEN: 'wrong-token-0000' });
      expect(await run(['job', 'list'], badToken.io)).toBe(22);
      const noToken = captureCli({ FEDMARK_COORDINATOR_URL: url });
      expect(await run(['job', 'list'], noToken.io)).toBe(2);
    } finally {
      server.close();
      d.store.close();
    }
  });

  it('job watch follows a job to its failure (exit 20) and job result reports it', async () => {
    const fdir = join(root, 'fed');
    expect(await run(['coordinator', 'init', '--dir', fdir, '--json'], captureCli().io)).toBe(0);
    const h = harness({ dir: fdir, clock: { now: Date.now() } });
    const nodes = [testNode('a1', 51), testNode('a2', 52), testNode('a3', 53)];
    await federation(h, nodes, fakeSealBlob(100));
    const created = await h.op(
      'POST',
      '/v1/jobs',
      JobSpecSchema.parse(checkedTemplate('lifecycle', '2026-01-31'))
    );
    const { jobId } = await created.json();
    await setupRound(h, nodes, jobId, 0);
    const refused = await h.node(
      nodes[0] as TestNode,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/refusal`,
      makeRefusal(
        nodes[0] as TestNode,
        { jobId, round: 0, specHash: specHashOf(h, jobId, 0) },
        'purpose analytics not allowed'
      )
    );
    expect(refused.status).toBe(200);
    const d = openCoordinatorDir(fdir);
    const coord = createCoordinator({ ...d, timers: false, log: () => {} });
    const { server, url } = await listen(coord);
    try {
      const env = { FEDMARK_COORDINATOR_URL: url, FEDMARK_TOKEN: d.operatorToken };
      const w = captureCli(env);
      expect(await run(['job', 'watch', jobId, '--interval', '50'], w.io)).toBe(20);
      const lines = w.out().trim().split('\n');
      expect(lines.slice(0, 9).every((l) => /^\d\d:\d\d:\d\d /.test(l))).toBe(true);
      expect([...lines.slice(0, 9).map((l) => l.slice(9)), lines[9]]).toEqual([
        'round - job created',
        'round 0 round opened',
        'round 0 secagg setup received a1',
        'round 0 secagg setup received a2',
        'round 0 secagg setup received a3',
        'round 0 secagg setup closed',
        'round 0 refusal recorded a1: purpose analytics not allowed',
        'round 0 round closed: 0 of 3 required nodes submitted and 1 refused: the minimum can no longer be reached; refused: a1 (purpose analytics not allowed)',
        'round 0 job failed: [QUORUM_NOT_MET] 0 of 3 required nodes submitted and 1 refused: the minimum can no longer be reached; refused: a1 (purpose analytics not allowed)',
        `${jobId} [failed] round 0 failed: 0/3 submitted, 1 refused, 2 pending (min 3)`,
      ]);
      expect(w.err()).toBe(
        `error: job ${jobId} failed: [QUORUM_NOT_MET] 0 of 3 required nodes submitted and 1 refused: the minimum can no longer be reached; refused: a1 (purpose analytics not allowed)\n`
      );
      const list = captureCli(env);
      expect(await run(['job', 'list'], list.io), list.err()).toBe(0);
      expect(list.out()).toMatch(
        new RegExp(
          `^job +status +kind +created +name\n[- ]+\n${jobId}  failed  segment_stats  \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  lifecycle x NES\n$`
        )
      );
      const r = captureCli(env);
      expect(await run(['job', 'result', jobId], r.io)).toBe(20);
      expect(r.out()).toBe(
        `job ${jobId} "lifecycle x NES" (segment_stats): failed\nfailed: [QUORUM_NOT_MET] 0 of 3 required nodes submitted and 1 refused: the minimum can no longer be reached; refused: a1 (purpose analytics not allowed)\nexcluded: a1 from round 0: purpose analytics not allowed\n`
      );
    } finally {
      server.close();
      d.store.close();
      h.store.close();
    }
  });

  it('unknown templates and commands are usage errors (exit 2); --help exits 0', async () => {
    const c = captureCli();
    expect(await run(['job', 'template', 'churn'], c.io)).toBe(2);
    expect(c.err()).toBe(
      'error: unknown template "churn"; choose one of rfm, lifecycle, ab-test, segment, train, clv, overlap\n'
    );
    expect(await run(['job', 'frobnicate'], captureCli().io)).toBe(2);
    const h = captureCli();
    expect(await run(['coordinator', '--help'], h.io)).toBe(0);
    expect(h.out()).toContain('fedmark coordinator start --dir ./coord --port 7700');
  });
});

describe('fedmark coordinator admit with several key files', () => {
  const keyFile = (name: string): string => {
    const file = join(root, `batch-${name}.keys.json`);
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        kind: 'fedmark-node-public-keys',
        name,
        signingKey: bytesToHex(generateSigningKeyPair().publicKey),
        boxKey: bytesToHex(generateBoxKeyPair().publicKey),
      })
    );
    return file;
  };

  it('admits them in one transaction, ending in one key epoch with all of them, or admits none', async () => {
    const dir = join(root, 'coord-batch');
    expect(await run(['coordinator', 'init', '--dir', dir, '--json'], captureCli().io)).toBe(0);
    const c = captureCli();
    const files = [keyFile('bank'), keyFile('shop'), keyFile('insurer')];
    expect(
      await run(['coordinator', 'admit', '--dir', dir, '--keys', ...files, '--json'], c.io)
    ).toBe(0);
    const out = JSON.parse(c.out()) as {
      nodes: { name: string }[];
      node?: unknown;
      keyEpoch: string;
    };
    expect(out.nodes.map((n) => n.name)).toEqual(['bank', 'shop', 'insurer']);
    expect(out.node).toBeUndefined();
    const opened = openCoordinatorDir(dir);
    const latest = opened.store.keys.latest();
    expect(latest?.keyId).toBe(out.keyEpoch);
    expect(latest?.members.map((m) => m.name).sort()).toEqual(['bank', 'insurer', 'shop']);
    expect(opened.store.keys.list().filter((e) => e.state !== 'retired')).toHaveLength(1);
    opened.store.close();
    opened.transparencyDb.close();

    // A batch with a name already admitted: refused, and its other node is not admitted either.
    const again = captureCli();
    expect(
      await run(
        ['coordinator', 'admit', '--dir', dir, '--keys', keyFile('telco'), keyFile('shop')],
        again.io
      )
    ).toBe(25);
    expect(again.err()).toContain('shop');
    const after = openCoordinatorDir(dir);
    expect(after.store.nodes.get('telco')).toBeUndefined();
    after.store.close();
    after.transparencyDb.close();

    // The same node twice in one call is named, before anything is written.
    const twice = captureCli();
    const f = keyFile('telco');
    expect(await run(['coordinator', 'admit', '--dir', dir, '--keys', f, f], twice.io)).toBe(23);
    expect(twice.err()).toBe(`error: ${f}: node telco is named twice\n`);
  });
});
