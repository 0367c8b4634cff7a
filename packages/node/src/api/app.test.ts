import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { type NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { generateSynthetic } from '../synth/index.ts';
import { createNodeApp, MAX_BODY_BYTES } from './app.ts';
import { StatsResultSchema } from './schemas.ts';
import { generateApiTokens, loadOrCreateApiTokens, roleForToken, type ApiToken } from './tokens.ts';

let node: TempNode;
let dir: string;
let db: Database.Database;
let identity: NodeIdentity;
let tokens: ApiToken[];
let app: ReturnType<typeof createNodeApp>;
let consentingNow = 0;
const logged: string[] = [];

const tokenOf = (role: 'admin' | 'auditor') =>
  (tokens.find((t) => t.role === role) as ApiToken).token;
const auth = (role: 'admin' | 'auditor') => ({ authorization: `Bearer ${tokenOf(role)}` });
const post = (path: string, role: 'admin' | 'auditor', body: string) =>
  app.request(path, {
    method: 'POST',
    headers: { ...auth(role), 'content-type': 'application/json' },
    body,
  });

const QUERY = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2025-01-01',
  epsilon: 2,
  dimensions: [{ field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] }],
  measures: [{ field: 'monetary', lower: 0, upper: 2000 }],
};

beforeAll(async () => {
  node = await createTempNode('fedmark-api-', 'api-test');
  ({ dir, db, identity } = node);
  const data = await generateSynthetic({
    dir: join(dir, 'data'),
    profile: 'retail',
    seed: 'api',
    customers: 300,
    start: '2024-01-01',
    end: '2024-12-31',
  });
  for (const kind of ['customers', 'events', 'consents'] as const)
    await importCsv(db, identity, { kind, file: data.files[kind] });
  // Truth for the stats check: customers whose latest analytics consent is a grant.
  const last = new Map<string, string>();
  for (const line of readFileSync(data.files.consents, 'utf8').trim().split('\n').slice(1)) {
    const [id, purpose, status] = line.split(',');
    if (purpose === 'analytics') last.set(id as string, status as string);
  }
  consentingNow = [...last.values()].filter((s) => s === 'granted').length;
  tokens = generateApiTokens();
  app = createNodeApp({ dir, db, identity, tokens, log: (m) => logged.push(m) });
});

afterAll(() => removeTempNode(node));

describe('node API: authentication and roles', () => {
  it('GET /health needs no token', async () => {
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', node: 'api-test', version: 1 });
  });

  it('no token -> 401 with a Bearer challenge', async () => {
    const res = await app.request('/v1/ledger');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="fedmark-node"');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UNAUTHORIZED');
    expect(body.error.message).toMatch(/^missing bearer token/);
  });

  it('unknown token -> 401', async () => {
    const res = await app.request('/v1/ledger', {
      headers: { authorization: `Bearer ${'0'.repeat(64)}` },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'unknown or malformed bearer token' },
    });
  });

  it('auditor on an admin route -> 403', async () => {
    const res = await post(
      '/v1/consents',
      'auditor',
      JSON.stringify({ customerId: 'rt0000001', purpose: 'marketing', status: 'revoked' })
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: {
        code: 'FORBIDDEN',
        message: 'this endpoint needs the admin role; the token has role auditor',
      },
    });
  });

  it('roleForToken matches exactly one role and nothing else', () => {
    expect(roleForToken(tokens, tokenOf('admin'))).toBe('admin');
    expect(roleForToken(tokens, tokenOf('auditor'))).toBe('auditor');
    expect(roleForToken(tokens, tokenOf('admin').slice(0, 63))).toBeNull();
    expect(roleForToken(tokens, '')).toBeNull();
  });

  it('loadOrCreateApiTokens creates a 0600 file once, then reads the same tokens', () => {
    const first = loadOrCreateApiTokens(dir);
    expect(first.created).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(first.tokens.map((t) => t.role)).toEqual(['admin', 'auditor']);
    const again = loadOrCreateApiTokens(dir);
    expect(again.created).toBe(false);
    expect(again.tokens).toEqual(first.tokens);
  });
});

describe('node API: read routes (auditor)', () => {
  it('GET /v1/ledger filters by type', async () => {
    const res = await app.request('/v1/ledger?type=node_initialized', { headers: auth('auditor') });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: { seq: number; type: string }[] };
    expect(body.entries.map((e) => [e.seq, e.type])).toEqual([[0, 'node_initialized']]);
  });

  it('GET /v1/ledger with a bad query parameter -> 400 naming it', async () => {
    const res = await app.request('/v1/ledger?limit=0', { headers: auth('auditor') });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toMatch(/^query field "limit": /);
  });

  it('GET /v1/ledger/verify', async () => {
    const res = await app.request('/v1/ledger/verify', { headers: auth('auditor') });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; size: number; head: string };
    expect(body.ok).toBe(true);
    expect(body.size).toBeGreaterThanOrEqual(4); // init + 3 imports (+ consents)
    expect(body.head).toMatch(/^[0-9a-f]{64}$/);
  });

  it('GET /v1/policy and /v1/budget', async () => {
    const pol = await app.request('/v1/policy', { headers: auth('auditor') });
    expect(pol.status).toBe(200);
    expect(((await pol.json()) as { minCohort: number }).minCohort).toBe(10);
    const bud = await app.request('/v1/budget', { headers: auth('auditor') });
    expect(bud.status).toBe(200);
    const b = (await bud.json()) as { budgets: { purpose: string; capEpsilon: number }[] };
    expect(b.budgets.find((x) => x.purpose === 'analytics')?.capEpsilon).toBe(4);
  });

  it('unknown route -> 404 NOT_FOUND', async () => {
    const res = await app.request('/v1/nothing', { headers: auth('admin') });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route GET /v1/nothing' },
    });
  });
});

describe('node API: admin routes and validation', () => {
  it('malformed JSON -> 400', async () => {
    const res = await post('/v1/consents', 'admin', '{"customerId": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'BAD_REQUEST', message: 'Malformed JSON in request body' },
    });
  });

  it('schema violation -> 400 naming the field', async () => {
    const res = await post(
      '/v1/consents',
      'admin',
      JSON.stringify({ customerId: 'rt0000001', purpose: 'fun', status: 'granted' })
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toMatch(/^body field "purpose": /);
  });

  it('body over 1 MiB -> 413', async () => {
    const res = await post(
      '/v1/stats',
      'admin',
      JSON.stringify({ ...QUERY, name: 'x'.repeat(MAX_BODY_BYTES) })
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: 'request body larger than 1048576 bytes (1 MiB)',
      },
    });
  });

  it('POST /v1/consents records a pseudonymous ledger entry', async () => {
    const res = await post(
      '/v1/consents',
      'admin',
      JSON.stringify({
        customerId: 'rt0000001',
        purpose: 'marketing',
        status: 'revoked',
        source: 'api_test',
      })
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('rt0000001');
    const body = JSON.parse(text) as {
      recorded: boolean;
      entry: { type: string; subject: string; body: Record<string, unknown> };
    };
    expect(body.recorded).toBe(true);
    expect(body.entry.type).toBe('consent_revoked');
    expect(body.entry.subject).toMatch(/^[0-9a-f]{64}$/);
    // The source stays in the entry's erasable private payload, not in its body.
    expect(body.entry.body).toEqual({ purpose: 'marketing', effectiveAt: expect.any(String) });
    expect(text).not.toContain('api_test');
  });

  it('POST /v1/stats releases noisy counts near the truth, then refuses over budget', async () => {
    const res = await post('/v1/stats', 'admin', JSON.stringify(QUERY));
    expect(res.status).toBe(200);
    const body: unknown = await res.clone().json();
    // The served body is what /openapi.json documents for it: parsing keeps every field
    // (zod drops undocumented ones), the post-processing fields included.
    expect(StatsResultSchema.parse(body)).toEqual(body);
    const r = body as {
      epsilon: number;
      noise: string;
      values: string[];
      variance: number[];
      result: {
        total: { estimate: number; sd: number };
        cells: { labels: string[] }[];
        measures: string[];
      };
    };
    expect(r.epsilon).toBe(2);
    expect(r.noise).toBe('on');
    expect(r.result.cells.map((c) => c.labels[0])).toEqual([
      'intro',
      'growth',
      'mature',
      'decline',
      '__other__',
    ]);
    expect(r.result.measures).toEqual(['monetary']);
    expect(r.values.every((v) => /^-?\d+$/.test(v))).toBe(true);
    expect(r.values.length).toBe(r.variance.length);
    expect(r.result.total.sd).toBeGreaterThan(0);
    expect(Math.abs(r.result.total.estimate - consentingNow)).toBeLessThanOrEqual(
      6 * r.result.total.sd
    );
    // Policy cap: at most 2 per job.
    const tooBig = await post('/v1/stats', 'admin', JSON.stringify({ ...QUERY, epsilon: 3 }));
    expect(tooBig.status).toBe(403);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe(
      'POLICY_REFUSED'
    );
    // Monthly analytics budget 4: a second 2 fits, a third does not.
    expect((await post('/v1/stats', 'admin', JSON.stringify(QUERY))).status).toBe(200);
    const over = await post('/v1/stats', 'admin', JSON.stringify(QUERY));
    expect(over.status).toBe(403);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('BUDGET_EXCEEDED');
  });

  it('body over 1 MiB announced by Content-Length -> 413 before reading it', async () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    const res = await app.request('/v1/erasures', {
      method: 'POST',
      headers: {
        ...auth('admin'),
        'content-type': 'application/json',
        'content-length': String(big.length),
      },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'PAYLOAD_TOO_LARGE'
    );
  });

  it('POST /v1/erasures deletes the customer and leaves a pseudonymous ledger entry', async () => {
    const before = db
      .prepare("SELECT count(*) AS n FROM customers WHERE customer_id = 'rt0000002'")
      .get() as { n: number };
    expect(before.n).toBe(1);
    const res = await post(
      '/v1/erasures',
      'admin',
      JSON.stringify({ customerId: 'rt0000002', reason: 'api_test' })
    );
    expect(res.status).toBe(200);
    const r = (await res.json()) as { pseudonym: string; rowsDeleted: number };
    expect(r.pseudonym).toMatch(/^[0-9a-f]{64}$/);
    expect(r.rowsDeleted).toBeGreaterThanOrEqual(2); // the customer row and at least one consent
    const after = db
      .prepare("SELECT count(*) AS n FROM customers WHERE customer_id = 'rt0000002'")
      .get() as { n: number };
    expect(after.n).toBe(0);
    const led = await app.request('/v1/ledger?type=erasure', { headers: auth('auditor') });
    const entries = (
      (await led.json()) as { entries: { subject: string; body: { reason: string } }[] }
    ).entries;
    expect(entries.map((e) => [e.subject, e.body.reason])).toEqual([[r.pseudonym, 'api_test']]);
    const missing = await post('/v1/erasures', 'admin', JSON.stringify({ reason: 'x' }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /^body field "customerId": /
    );
  });

  it('content type other than JSON -> 400', async () => {
    const res = await app.request('/v1/erasures', {
      method: 'POST',
      headers: { ...auth('admin'), 'content-type': 'text/plain' },
      body: 'customerId=1',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });

  it('POST /v1/stats with an invalid query -> 400 naming the field', async () => {
    const res = await post('/v1/stats', 'admin', JSON.stringify({ ...QUERY, asOf: '2025-02-30' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'body field "asOf": not a real calendar date',
    });
  });
});

describe('node API: OpenAPI and internal errors', () => {
  it('GET /openapi.json documents every endpoint', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths)
      .flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`))
      .sort();
    expect(ops).toEqual(
      [
        'GET /health',
        'GET /openapi.json',
        'GET /v1/audit/consents',
        'GET /v1/audit/identity',
        'GET /v1/audit/ledger',
        'GET /v1/audit/releases/{seq}/non-membership',
        'GET /v1/budget',
        'GET /v1/ledger',
        'GET /v1/ledger/checkpoint',
        'GET /v1/ledger/proof/consistency',
        'GET /v1/ledger/proof/inclusion',
        'GET /v1/ledger/verify',
        'GET /v1/policy',
        'POST /v1/consents',
        'POST /v1/decide',
        'POST /v1/erasures',
        'POST /v1/stats',
      ].sort()
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'SegmentStatsResult', 'ConsentChange'])
    );
  });

  it('an unexpected error is logged and answered with a bare 500', async () => {
    const closedDb = openNodeDatabase(dir);
    closedDb.close();
    const broken = createNodeApp({
      dir,
      db: closedDb,
      identity,
      tokens,
      log: (m) => logged.push(m),
    });
    const before = logged.length;
    const res = await broken.request('/v1/ledger', { headers: auth('auditor') });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Internal Server Error');
    expect(logged.slice(before)).toEqual(['node API: unhandled error']);
  });
});
