import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  documented4xx,
  errorResponsesWithoutErrorSchema,
  operationsOf,
  redoclyProblems,
  validateOpenApi,
  type OpenApiDocument as Doc,
} from '@fedmark/protocol/_testing/openapi';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { createNodeApp } from './app.ts';
import { generateApiTokens, type ApiToken } from './tokens.ts';

/** Where Redocly's problems point; the name is only a label for the served document. */
const DOC_REF = 'node-openapi.json';

let node: TempNode;
let tokens: ApiToken[];
let app: ReturnType<typeof createNodeApp>;
let doc: Doc;
const operations = () => operationsOf(doc);
const tokenOf = (role: 'admin' | 'auditor') =>
  (tokens.find((t) => t.role === role) as ApiToken).token;

beforeAll(async () => {
  node = await createTempNode('fedmark-openapi-', 'openapi-test');
  tokens = generateApiTokens();
  app = createNodeApp({
    dir: node.dir,
    db: node.db,
    identity: node.identity,
    tokens,
    log: () => {},
  });
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});

afterAll(() => removeTempNode(node));

describe('node GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser validate)', async () => {
    const api = await validateOpenApi(doc);
    expect(api).toMatchObject({ openapi: '3.1.0', info: { title: 'fedmark node local API' } });
  });

  it("has no error and no warning under Redocly's recommended ruleset", async () => {
    expect(await redoclyProblems(doc, DOC_REF)).toEqual([]);
  });

  it('names every operation once, with a summary, one declared tag and its security', () => {
    const declared = doc.tags.map((t) => t.name);
    const rows = operations().map(
      ({ method, path, op }) =>
        `${op.operationId} ${method.toUpperCase()} ${path} [${op.tags?.join(',')}] ${op.security?.length ? 'bearer' : 'public'}`
    );
    expect(rows.sort()).toEqual([
      'changeConsent POST /v1/consents [admin] bearer',
      'decide POST /v1/decide [admin] bearer',
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
    const params = operations().flatMap(({ path, op }) =>
      (op.parameters ?? []).map((p) => `${path} ${p.in} ${p.name} ${p.required === true}`)
    );
    expect(params.filter((p) => p.endsWith('true')).sort()).toEqual([
      '/v1/audit/releases/{seq}/non-membership path seq true',
      '/v1/audit/releases/{seq}/non-membership query pseudonyms true',
      '/v1/ledger/proof/consistency query from true',
      '/v1/ledger/proof/inclusion query index true',
    ]);
  });

  it('documents the 4xx statuses the routes answer with the Error schema', () => {
    expect(documented4xx(doc)).toEqual({
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
      decide: '400 401 403 404 413',
    });
    expect(errorResponsesWithoutErrorSchema(doc)).toEqual([]);
  });

  it('documents security as the server enforces it: no token is 401 exactly where a token is required', async () => {
    for (const { method, path, op } of operations()) {
      const url = path.replace('{seq}', '0');
      const res = await app.request(
        url,
        method === 'post'
          ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }
          : {}
      );
      const expected = op.security?.length ? 401 : 200;
      expect({ op: op.operationId, status: res.status }).toEqual({
        op: op.operationId,
        status: expected,
      });
      if (expected === 401)
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('documents 403 for the admin operations: an auditor token gets 403 FORBIDDEN on exactly those', async () => {
    for (const { method, path, op } of operations().filter((o) => o.op.security?.length)) {
      const headers = {
        authorization: `Bearer ${tokenOf('auditor')}`,
        'content-type': 'application/json',
      };
      const res = await app.request(
        path.replace('{seq}', '0'),
        method === 'post' ? { method: 'POST', headers, body: '{}' } : { headers }
      );
      expect({ op: op.operationId, forbidden: res.status === 403 }).toEqual({
        op: op.operationId,
        forbidden: '403' in op.responses,
      });
    }
  });
});
