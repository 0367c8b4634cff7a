import type { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesToHex,
  hexToBytes,
  signingKeyPairFromSeed,
  verifyNonMembership,
} from '@fedmark/protocol';
import { checkpointOnlyContext } from '../packages/node/src/_testing/checkpoint-context.ts';
import { forgeReleaseUnits } from '../packages/node/src/_testing/forge-release.ts';
import {
  importRegionCustomers,
  releaseRegions,
} from '../packages/node/src/_testing/region-release.ts';
import { runCli as cli } from '../packages/node/src/_testing/run-cli.ts';
import { serveLocal, type LocalServer } from '../packages/node/src/_testing/serve-local.ts';
import {
  admitNode,
  startTestCoordinator,
  writeCoordinatorFile,
} from './support/test-coordinator.ts';
import {
  createTempNode,
  removeTempNode,
  type TempNode,
} from '../packages/node/src/_testing/temp-node.ts';
import { createNodeApp } from '../packages/node/src/api/app.ts';
import { generateApiTokens, type ApiToken } from '../packages/node/src/api/tokens.ts';
import { eraseCustomer } from '../packages/node/src/erasure/index.ts';
import { createCoordinatorClient } from '../packages/node/src/federation/client.ts';
import { sendCheckpointIfDue } from '../packages/node/src/federation/checkpoint-sender.ts';
import type { NodeIdentity } from '../packages/node/src/identity/index.ts';
import { listLedger } from '../packages/node/src/ledger/index.ts';
import { auditNode, httpLedgerSource, type AuditReport } from '../packages/node/src/audit/index.ts';

/** The node's better-sqlite3 connection (better-sqlite3 is the node package's dependency, not the root's). */
type NodeDb = ReturnType<typeof openNodeDatabase>;

const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(7));
const OPERATOR = 'operator-token-api-audit';
let node: TempNode;
let root: string;
let dir: string;
let db: NodeDb;
let id: NodeIdentity;
let tokens: ApiToken[];
let auditor: string;
let nodeUrl: string;
let coordUrl: string;
const servers: LocalServer[] = [];
let erased: string;
let released: number;

const listen = async (fetchFn: (r: Request) => Response | Promise<Response>): Promise<string> => {
  const s = await serveLocal(fetchFn);
  servers.push(s);
  return s.url;
};

beforeAll(async () => {
  node = await createTempNode('api-audit-', 'node-api');
  ({ root, dir, db, identity: id } = node);
  writeCoordinatorFile(dir, 'x', COORD.publicKey);
  await importRegionCustomers(
    db,
    id,
    root,
    Array.from({ length: 14 }, (_, i) => `K${i}`)
  );
  releaseRegions(db, id, 'before');

  coordUrl = await listen(startTestCoordinator(COORD, OPERATOR).app.fetch);
  await admitNode(coordUrl, OPERATOR, id);
  const ctx = checkpointOnlyContext({
    dir,
    identity: id,
    db,
    client: createCoordinatorClient({ coordinatorUrl: coordUrl, identity: id }),
    coordinatorKey: COORD.publicKey,
  });
  expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(0);
  erased = eraseCustomer(db, id, 'K4').pseudonym;
  released = releaseRegions(db, id, 'after');

  tokens = generateApiTokens();
  auditor = (tokens.find((t) => t.role === 'auditor') as ApiToken).token;
  nodeUrl = await listen(createNodeApp({ dir, db, identity: id, tokens, log: () => {} }).fetch);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  removeTempNode(node);
});

const verdicts = (r: AuditReport) => r.checks.map((c) => `${c.check}:${c.ok}`);

describe('audit through the node API (real HTTP on 127.0.0.1)', () => {
  it('verify --node gives the directory audit verdicts, with the coordinator, from paged rows', async () => {
    const res = await cli(
      'audit',
      'verify',
      '--node',
      nodeUrl,
      '--token',
      auditor,
      '--coordinator',
      coordUrl,
      '--coordinator-token',
      OPERATOR,
      '--node-key',
      bytesToHex(id.signing.publicKey),
      '--json'
    );
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
    expect(viaApi.checks.find((c) => c.check === 'erasure_honoured')?.detail).toBe(
      '1 (erasure, later release) pair(s) proven: no release after an erasure used the erased pseudonym'
    );
    expect(viaApi.checks.find((c) => c.check === 'merkle_state')?.detail).toBe(
      `node's signed current head (${direct.ledgerSize} entries) agrees with the rows`
    );
    expect(viaApi.notes[0]).toBe(
      `audited through the node API at ${nodeUrl}: private-payload commitments are not checked (the API serves no personal data)`
    );

    // Pages of 4 rows give the same audit.
    const paged = await auditNode({
      source: httpLedgerSource({ url: nodeUrl, token: auditor, pageSize: 4 }),
    });
    expect(paged.merkleRoot).toBe(direct.merkleRoot);
    expect(verdicts(paged)).toEqual(verdicts(await auditNode({ dir, db })));
  });

  it('serves zod-validated, read-only audit routes listed in the OpenAPI document', async () => {
    const h = { authorization: `Bearer ${auditor}` };
    const p = erased;
    const ok = await fetch(
      `${nodeUrl}/v1/audit/releases/${released}/non-membership?pseudonyms=${p},${'0'.repeat(64)}`,
      { headers: h }
    );
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { proofs: unknown[] };
    const entry = listLedger(db, { type: 'release' }).at(-1);
    expect(
      verifyNonMembership(
        hexToBytes(p),
        body.proofs[0],
        13,
        hexToBytes(entry?.body['unitsRoot'] as string)
      )
    ).toBe(true);
    expect(body.proofs).toHaveLength(2);

    const bad = await fetch(
      `${nodeUrl}/v1/audit/releases/${released}/non-membership?pseudonyms=K4`,
      { headers: h }
    );
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { code: string; message: string } }).error.message
    ).toContain('pseudonyms');
    const none = await fetch(`${nodeUrl}/v1/audit/releases/0/non-membership?pseudonyms=${p}`, {
      headers: h,
    });
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await fetch(`${nodeUrl}/v1/audit/ledger`)).status).toBe(401);

    const page = (await (
      await fetch(`${nodeUrl}/v1/audit/ledger?from=1&limit=2`, { headers: h })
    ).json()) as { entries: { seq: number; body: string }[]; next: number };
    expect(page.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(page.next).toBe(3);
    expect(typeof page.entries[0]?.body).toBe('string');
    const doc = (await (await fetch(`${nodeUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/audit/identity',
        '/v1/audit/ledger',
        '/v1/audit/consents',
        '/v1/audit/releases/{seq}/non-membership',
      ])
    );
  });

  it('refuses a hostile pager, a wrong token and a substituted node key', async () => {
    const looping = httpLedgerSource({
      url: 'http://node.test',
      token: 't',
      fetch: (u) =>
        Promise.resolve(
          new Response(
            JSON.stringify(
              u.includes('/v1/audit/ledger') ? { version: 1, entries: [], next: 0 } : {}
            ),
            { status: 200 }
          )
        ),
    });
    const rows = looping.rows()[Symbol.asyncIterator]();
    await expect(rows.next()).rejects.toThrow('next 0 does not move past seq 0');

    const wrong = await cli('audit', 'verify', '--node', nodeUrl, '--token', 'not-a-token');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('HTTP 401');
    const key = await cli(
      'audit',
      'verify',
      '--node',
      nodeUrl,
      '--token',
      auditor,
      '--node-key',
      'ab'.repeat(32)
    );
    expect(key.code).toBe(1);
    expect(key.err).toContain('not the pinned key abababababababab');
    expect((await cli('audit', 'verify', '--node', nodeUrl)).code).toBe(2);
    expect(
      (await cli('audit', 'verify', '--node', nodeUrl, '--node-dir', dir, '--token', auditor)).code
    ).toBe(2);
  });

  it('export --node writes the report, and a forged use of an erased customer fails erasure_honoured over the API', async () => {
    // The node rewrites release `released` as if it had used the erased customer, chain re-hashed.
    forgeReleaseUnits(db, released, erased);
    db.exec('DELETE FROM ledger_merkle_state; DELETE FROM ledger_merkle_nodes;');

    const out = join(root, 'api-report.html');
    const res = await cli('audit', 'export', '--node', nodeUrl, '--token', auditor, '--out', out);
    expect(res.code).toBe(13);
    expect(res.err).toBe(
      `fedmark: ledger verification failed at entry seq ${released}: release entry ${released}: used the pseudonym ${erased.slice(0, 16)}… erased at entry ${released - 2}: it is among the release's committed units (check erasure_honoured)\n`
    );
    expect(readFileSync(out, 'utf8')).toContain(`caught by check <code>erasure_honoured</code>`);
  });
});
