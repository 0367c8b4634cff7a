import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { createNodeApp } from './app.ts';
import { generateApiTokens, type ApiToken } from './tokens.ts';

/** Where Redocly's problems point; the name is only a label for the served document. */
const DOC_REF = 'node-openapi.json';

/**
 * Redocly's `recommended` ruleset with one rule off and one location ignored (the form
 * `redocly lint --generate-ignore-file` writes), each for a stated reason:
 * - info-license: the project publishes no licence (private packages, no LICENSE file), so the
 *   document names none rather than claim terms nobody granted;
 * - operation-4xx-response on GET /health and GET /openapi.json: they take no token, parameter or
 *   body, so no 4xx answer exists to document.
 */
async function lintProblems(doc: unknown): Promise<string[]> {
  const config = await createConfig(
    { extends: ['recommended'], rules: { 'info-license': 'off' } },
    { ignore: { [DOC_REF]: { 'operation-4xx-response': new Set(['#/paths/~1health/get/responses', '#/paths/~1openapi.json/get/responses']) } } }
  );
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: DOC_REF, config });
  return problems.filter((p) => !p.ignored).map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
}

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
interface Doc {
  openapi: string;
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
}

let node: TempNode;
let tokens: ApiToken[];
let app: ReturnType<typeof createNodeApp>;
let doc: Doc;
const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })));
const tokenOf = (role: 'admin' | 'auditor') => (tokens.find((t) => t.role === role) as ApiToken).token;

beforeAll(async () => {
  node = await createTempNode('fedmark-openapi-', 'openapi-test');
  tokens = generateApiTokens();
  app = createNodeApp({ dir: node.dir, db: node.db, identity: node.identity, tokens, log: () => {} });
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});

afterAll(() => removeTempNode(node));

describe('node GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser validate)', async () => {
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    expect(api).toMatchObject({ openapi: '3.1.0', info: { title: 'fedmark node local API' } });
  });

  it("has no error and no warning under Redocly's recommended ruleset", async () => {
    expect(await lintProblems(doc)).toEqual([]);
  });

  it('names every operation once, with a summary, one declared tag and its security', () => {
    const declared = doc.tags.map((t) => t.name);
    const rows = operations().map(({ method, path, op }) => `${op.operationId} ${method.toUpperCase()} ${path} [${op.tags?.join(',')}] ${op.security?.length ? 'bearer' : 'public'}`);
    expect(rows.sort()).toEqual([
      'changeConsent POST /v1/consents [admin] bearer',
      'eraseCustomer POST /v1/erasures [admin] bearer',
      'getAuditConsents GET /v1/audit/consents [audit] bearer',
      'getAuditIdentity GET /v1/audit/identity [audit] bearer',
      'getBudget GET /v1/budget [privacy] bearer',
      'getHealth GET /health [meta] public',
      'getLedgerCheckpoint GET /v1/ledger/checkpoint [ledger] bearer',
      'getLedgerConsistencyProof GET /v1/ledger/proof/consistency [ledger] bearer',
      'getLedgerInclusionProof GET /v1/ledger/proof/inclusion [ledger] bearer',
      'getOpenApiDocument GET /openapi.json [meta] public',
      'getPolicy GET /v1/policy [privacy] bearer',
      'getReleaseNonMembership GET /v1/audit/releases/{seq}/non-membership [audit] bearer',
      'listAuditLedgerRows GET /v1/audit/ledger [audit] bearer',
      'listLedgerEntries GET /v1/ledger [ledger] bearer',
      'runStats POST /v1/stats [admin] bearer',
      'verifyLedger GET /v1/ledger/verify [ledger] bearer',
    ]);
    for (const { op } of operations()) {
      expect(op.summary?.length).toBeGreaterThan(10);
      expect(declared).toContain(op.tags?.[0]);
      expect(Array.isArray(op.security)).toBe(true);
    }
  });

  it('marks path and required query parameters required, as the validators treat them', () => {
    const params = operations().flatMap(({ path, op }) => (op.parameters ?? []).map((p) => `${path} ${p.in} ${p.name} ${p.required === true}`));
    expect(params.filter((p) => p.endsWith('true')).sort()).toEqual([
      '/v1/audit/releases/{seq}/non-membership path seq true',
      '/v1/audit/releases/{seq}/non-membership query pseudonyms true',
      '/v1/ledger/proof/consistency query from true',
      '/v1/ledger/proof/inclusion query index true',
    ]);
  });

  it('documents the 4xx statuses the routes answer with the Error schema', () => {
    const statuses = Object.fromEntries(operations().map(({ op }) => [op.operationId, Object.keys(op.responses).filter((s) => s.startsWith('4')).join(' ')]));
    expect(statuses).toEqual({
      getHealth: '',
      getOpenApiDocument: '',
      listLedgerEntries: '400 401',
      verifyLedger: '401',
      getBudget: '400 401 404',
      getPolicy: '400 401 404',
      getLedgerCheckpoint: '401',
      getLedgerInclusionProof: '400 401',
      getLedgerConsistencyProof: '400 401',
      getAuditIdentity: '401',
      listAuditLedgerRows: '400 401',
      getAuditConsents: '401',
      getReleaseNonMembership: '400 401 404 409',
      runStats: '400 401 403 404 413',
      changeConsent: '400 401 403 409 413',
      eraseCustomer: '400 401 403 413',
    });
    for (const { op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (status.startsWith('4')) expect(response).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
      }
    }
  });

  it('documents security as the server enforces it: no token is 401 exactly where a token is required', async () => {
    for (const { method, path, op } of operations()) {
      const url = path.replace('{seq}', '0');
      const res = await app.request(url, method === 'post' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } : {});
      const expected = op.security?.length ? 401 : 200;
      expect({ op: op.operationId, status: res.status }).toEqual({ op: op.operationId, status: expected });
      if (expected === 401) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('documents 403 for the admin operations: an auditor token gets 403 FORBIDDEN on exactly those', async () => {
    for (const { method, path, op } of operations().filter((o) => o.op.security?.length)) {
      const headers = { authorization: `Bearer ${tokenOf('auditor')}`, 'content-type': 'application/json' };
      const res = await app.request(path.replace('{seq}', '0'), method === 'post' ? { method: 'POST', headers, body: '{}' } : { headers });
      expect({ op: op.operationId, forbidden: res.status === 403 }).toEqual({ op: op.operationId, forbidden: '403' in op.responses });
    }
  });
});
