import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { PolicySchema, SegmentQuerySchema, bytesToHex, hexToBytes, signingKeyPairFromSeed, sortedSetRoot, verifyNonMembership } from '@fedmark/protocol';
import { createCoordinator } from '../../../coordinator/src/app.ts';
import { openStore } from '../../../coordinator/src/store/index.ts';
import { createNodeApp } from '../api/app.ts';
import { generateApiTokens, type ApiToken } from '../api/tokens.ts';
import { run } from '../cli/main.ts';
import type { CliIo } from '../cli/io.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { createCoordinatorClient } from '../federation/client.ts';
import type { AgentContext } from '../federation/context.ts';
import { sendCheckpointIfDue } from '../federation/checkpoint-sender.ts';
import { COORDINATOR_FILE } from '../federation/enroll.ts';
import { initNode, loadIdentity, type NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';
import { listLedger } from '../ledger/index.ts';
import { entryHash, type LedgerRow } from '../ledger/_row.ts';
import { loadPolicy } from '../policy/index.ts';
import { releaseSegmentStats, releaseUnitsReader } from '../release/index.ts';
import { createUnitSource, openNodeDatabase } from '../store/index.ts';
import { auditNode, httpLedgerSource, type AuditReport } from './index.ts';

const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(7));
const OPERATOR = 'operator-token-api-audit';
let root: string;
let dir: string;
let db: Database.Database;
let id: NodeIdentity;
let tokens: ApiToken[];
let auditor: string;
let nodeUrl: string;
let coordUrl: string;
const servers: ServerType[] = [];
let erased: string;
let released: number;

const listen = (fetchFn: (r: Request) => Response | Promise<Response>): Promise<string> =>
  new Promise((resolve) => {
    const s = serve({ fetch: fetchFn, port: 0, hostname: '127.0.0.1' }, () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`));
    servers.push(s);
  });

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), stderrIsTTY: false, env: {} };
  const code = await run(argv, io);
  return { code, out, err };
}

const query = SegmentQuerySchema.parse({
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2026-11-01',
  epsilon: 0.5,
  dimensions: [{ field: 'attr.region', categories: ['north', 'south'] }],
  measures: [],
});
const policy = PolicySchema.parse({ budgets: [{ purpose: 'analytics', period: 'month', epsilon: 10 }] });
const release = (jobId: string): number => {
  releaseSegmentStats({ db, identity: id, policy }, { query, source: createUnitSource(db, { purpose: 'analytics', asOf: '2026-11-01' }), jobId, round: 0 });
  return listLedger(db, { type: 'release' }).at(-1)?.seq as number;
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'api-audit-'));
  dir = join(root, 'node');
  await initNode({ dir, name: 'node-api' });
  id = loadIdentity(dir);
  writeFileSync(join(dir, COORDINATOR_FILE), JSON.stringify({ version: 1, url: 'x', coordinatorKey: bytesToHex(COORD.publicKey), enrolledAt: new Date().toISOString() }));
  db = openNodeDatabase(dir);
  const ids = Array.from({ length: 14 }, (_, i) => `K${i}`);
  writeFileSync(join(root, 'c.csv'), `customer_id,signup_date,region\n${ids.map((c, i) => `${c},2020-01-01,${i % 2 ? 'north' : 'south'}`).join('\n')}\n`);
  await importCsv(db, id, { kind: 'customers', file: join(root, 'c.csv') });
  writeFileSync(join(root, 'k.csv'), `customer_id,purpose,status,time\n${ids.map((c) => `${c},analytics,granted,2020-01-01`).join('\n')}\n`);
  await importCsv(db, id, { kind: 'consents', file: join(root, 'k.csv') });
  release('before');

  const coordinator = createCoordinator({ store: openStore(':memory:'), coordinatorKey: COORD, operatorToken: OPERATOR, log: () => {}, timers: false });
  coordUrl = await listen(coordinator.app.fetch);
  await fetch(`${coordUrl}/v1/admin/nodes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'node-api', signingKey: bytesToHex(id.signing.publicKey), boxKey: bytesToHex(id.box.publicKey) }),
  });
  const ctx: AgentContext = {
    dir,
    identity: id,
    db,
    client: createCoordinatorClient({ coordinatorUrl: coordUrl, identity: id }),
    log: () => {},
    release: () => {
      throw new Error('unused');
    },
    policy: () => loadPolicy(dir),
    source: () => {
      throw new Error('unused');
    },
    now: () => Date.now(),
    coordinatorKey: COORD.publicKey,
  };
  expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(0);
  erased = eraseCustomer(db, id, 'K4').pseudonym;
  released = release('after');

  tokens = generateApiTokens();
  auditor = (tokens.find((t) => t.role === 'auditor') as ApiToken).token;
  nodeUrl = await listen(createNodeApp({ dir, db, identity: id, tokens, log: () => {} }).fetch);
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  db.close();
  rmSync(root, { recursive: true, force: true });
});

const verdicts = (r: AuditReport) => r.checks.map((c) => `${c.check}:${c.ok}`);

describe('audit through the node API (real HTTP on 127.0.0.1)', () => {
  it('verify --node gives the directory audit verdicts, with the coordinator, from paged rows', async () => {
    const res = await cli('audit', 'verify', '--node', nodeUrl, '--token', auditor, '--coordinator', coordUrl, '--coordinator-token', OPERATOR, '--node-key', bytesToHex(id.signing.publicKey), '--json');
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const viaApi = JSON.parse(res.out) as AuditReport;
    const direct = await auditNode({ dir, db, coordinator: { url: coordUrl, token: OPERATOR } });
    expect(viaApi.source).toEqual({ kind: 'api', label: nodeUrl });
    expect(verdicts(viaApi)).toEqual(verdicts(direct));
    expect(viaApi.checks.every((c) => c.ok)).toBe(true);
    expect(viaApi.ledgerSize).toBe(direct.ledgerSize);
    expect(viaApi.merkleRoot).toBe(direct.merkleRoot);
    expect(viaApi.compliance.releases).toEqual(direct.compliance.releases);
    expect(viaApi.compliance.erasures).toEqual(direct.compliance.erasures);
    expect(viaApi.checks.find((c) => c.check === 'erasure_honoured')?.detail).toBe('1 (erasure, later release) pair(s) proven: no release after an erasure used the erased pseudonym');
    expect(viaApi.checks.find((c) => c.check === 'merkle_state')?.detail).toBe(`node's signed current head (${direct.ledgerSize} entries) agrees with the rows`);
    expect(viaApi.notes[0]).toBe(`audited through the node API at ${nodeUrl}: private-payload commitments are not checked (the API serves no personal data)`);

    // Pages of 4 rows give the same audit.
    const paged = await auditNode({ source: httpLedgerSource({ url: nodeUrl, token: auditor, pageSize: 4 }) });
    expect(paged.merkleRoot).toBe(direct.merkleRoot);
    expect(verdicts(paged)).toEqual(verdicts(await auditNode({ dir, db })));
  });

  it('serves zod-validated, read-only audit routes listed in the OpenAPI document', async () => {
    const h = { authorization: `Bearer ${auditor}` };
    const p = erased;
    const ok = await fetch(`${nodeUrl}/v1/audit/releases/${released}/non-membership?pseudonyms=${p},${'0'.repeat(64)}`, { headers: h });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { proofs: unknown[] };
    const entry = listLedger(db, { type: 'release' }).at(-1);
    expect(verifyNonMembership(hexToBytes(p), body.proofs[0], 13, hexToBytes(entry?.body['unitsRoot'] as string))).toBe(true);
    expect(body.proofs).toHaveLength(2);

    const bad = await fetch(`${nodeUrl}/v1/audit/releases/${released}/non-membership?pseudonyms=K4`, { headers: h });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error.message).toContain('pseudonyms');
    const none = await fetch(`${nodeUrl}/v1/audit/releases/0/non-membership?pseudonyms=${p}`, { headers: h });
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await fetch(`${nodeUrl}/v1/audit/ledger`)).status).toBe(401);

    const page = (await (await fetch(`${nodeUrl}/v1/audit/ledger?from=1&limit=2`, { headers: h })).json()) as { entries: { seq: number; body: string }[]; next: number };
    expect(page.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(page.next).toBe(3);
    expect(typeof page.entries[0]?.body).toBe('string');
    const doc = (await (await fetch(`${nodeUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/audit/identity', '/v1/audit/ledger', '/v1/audit/consents', '/v1/audit/releases/{seq}/non-membership']));
  });

  it('refuses a hostile pager, a wrong token and a substituted node key', async () => {
    const looping = httpLedgerSource({
      url: 'http://node.test',
      token: 't',
      fetch: (u) => Promise.resolve(new Response(JSON.stringify(u.includes('/v1/audit/ledger') ? { version: 1, entries: [], next: 0 } : {}), { status: 200 })),
    });
    const rows = looping.rows()[Symbol.asyncIterator]();
    await expect(rows.next()).rejects.toThrow('next 0 does not move past seq 0');

    const wrong = await cli('audit', 'verify', '--node', nodeUrl, '--token', 'not-a-token');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('HTTP 401');
    const key = await cli('audit', 'verify', '--node', nodeUrl, '--token', auditor, '--node-key', 'ab'.repeat(32));
    expect(key.code).toBe(1);
    expect(key.err).toContain('not the pinned key abababababababab');
    expect((await cli('audit', 'verify', '--node', nodeUrl)).code).toBe(2);
    expect((await cli('audit', 'verify', '--node', nodeUrl, '--node-dir', dir, '--token', auditor)).code).toBe(2);
  });

  it('export --node writes the report, and a forged use of an erased customer fails erasure_honoured over the API', async () => {
    // The node rewrites release `released` as if it had used the erased customer, chain re-hashed.
    const units: Uint8Array[] = [...releaseUnitsReader(db, released).all()].map((u) => new Uint8Array(u));
    units.push(hexToBytes(erased));
    units.sort((a, b) => Buffer.compare(a, b));
    db.exec('DROP TRIGGER release_units_no_delete; DROP TRIGGER ledger_no_update;');
    db.prepare('DELETE FROM release_units WHERE release_seq = ?').run(released);
    db.prepare('INSERT INTO release_units (release_seq, chunk, pseudonyms, chunk_root) VALUES (?, 0, ?, NULL)').run(released, Buffer.concat(units));
    let prevHash = db.prepare('SELECT hash FROM ledger WHERE seq = ?').pluck().get(released - 1) as string;
    for (const row of db.prepare('SELECT * FROM ledger WHERE seq >= ? ORDER BY seq').all(released) as LedgerRow[]) {
      const b = JSON.parse(row.body) as Record<string, never>;
      const body = row.seq === released ? { ...b, unitsRoot: bytesToHex(sortedSetRoot(units)), unitsCount: units.length } : b;
      const hash = entryHash({ seq: row.seq, type: row.type, at: row.at, subject: row.subject, body, commitment: row.commitment, prevHash });
      db.prepare('UPDATE ledger SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(JSON.stringify(body), prevHash, hash, row.seq);
      prevHash = hash;
    }
    db.exec('DELETE FROM ledger_merkle_state; DELETE FROM ledger_merkle_nodes;');

    const out = join(root, 'api-report.html');
    const res = await cli('audit', 'export', '--node', nodeUrl, '--token', auditor, '--out', out);
    expect(res.code).toBe(13);
    expect(res.err).toBe(`fedmark: ledger verification failed at entry seq ${released}: release entry ${released}: used the pseudonym ${erased.slice(0, 16)}… erased at entry ${released - 2}: it is among the release's committed units (check erasure_honoured)\n`);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(out, 'utf8')).toContain(`caught by check <code>erasure_honoured</code>`);
  });
});
