import { beforeAll, describe, expect, it } from 'vitest';
import {
  documented4xx,
  errorResponsesWithoutErrorSchema,
  operationsOf,
  redoclyProblems,
  validateOpenApi,
  type OpenApiDocument as Doc,
  type OpenApiOperation as Operation,
} from '@fedmark/protocol/_testing/openapi';
import { AUDITOR_TOKEN, harness, json, type Harness } from './_testing.ts';

/** Where Redocly's problems point; the name is only a label for the served document. */
const DOC_REF = 'coordinator-openapi.json';

let h: Harness;
let doc: Doc;
const operations = () => operationsOf(doc);
const securityOf = (op: Operation) =>
  (op.security ?? []).map((r) => Object.keys(r).join('+')).join('|') || 'public';
const concrete = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'round' ? '0' : `x-${name}`));

beforeAll(async () => {
  h = harness();
  const res = await h.coordinator.app.request('/openapi.json');
  expect(res.status).toBe(200);
  doc = (await json(res)) as Doc;
});

describe('coordinator GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser validate)', async () => {
    const api = await validateOpenApi(doc);
    expect(api).toMatchObject({
      openapi: '3.1.0',
      info: { title: 'fedmark coordinator', version: '1' },
    });
  });

  it("has no error and no warning under Redocly's recommended ruleset", async () => {
    expect(await redoclyProblems(doc, DOC_REF)).toEqual([]);
  });

  it('names every operation once, with a summary, one declared tag and its security', () => {
    const declared = doc.tags.map((t) => t.name);
    const rows = operations().map(
      ({ method, path, op }) =>
        `${op.operationId} ${method.toUpperCase()} ${path} [${op.tags?.join(',')}] ${securityOf(op)}`
    );
    expect(rows.sort()).toEqual([
      'ackKey POST /v1/node/keys/{keyId}/ack [node] nodeSignature',
      'admitNode POST /v1/admin/nodes [admin] operatorToken',
      'cancelJob POST /v1/jobs/{id}/cancel [jobs] operatorToken',
      'createEnrollmentToken POST /v1/admin/enrollment-tokens [admin] operatorToken',
      'createJob POST /v1/jobs [jobs] operatorToken',
      'enroll POST /v1/enroll [enrollment] public',
      'getActiveKeyEpoch GET /v1/admin/keys/active [admin] operatorToken',
      'getHealth GET /health [meta] public',
      'getJob GET /v1/jobs/{id} [jobs] operatorToken',
      'getJobResult GET /v1/jobs/{id}/result [jobs] operatorToken',
      'getLatestCheckpoint GET /v1/node/checkpoints/latest [node] nodeSignature',
      'getMetrics GET /metrics [meta] operatorToken|auditorToken',
      'getNodeTasks GET /v1/node/tasks [node] nodeSignature',
      'getOpenApiDocument GET /openapi.json [meta] public',
      'getTransparencyConsistencyProof GET /v1/transparency/proof/consistency [transparency] operatorToken|auditorToken',
      'getTransparencyHead GET /v1/transparency/head [transparency] operatorToken|auditorToken',
      'getTransparencyInclusionProof GET /v1/transparency/proof/inclusion [transparency] operatorToken|auditorToken',
      'listCheckpointRefusals GET /v1/transparency/refusals [transparency] operatorToken|auditorToken',
      'listJobEvents GET /v1/jobs/{id}/events [jobs] operatorToken',
      'listJobs GET /v1/jobs [jobs] operatorToken',
      'listKeyEpochs GET /v1/admin/keys [admin] operatorToken',
      'listNodeCheckpoints GET /v1/transparency/nodes/{name}/checkpoints [transparency] operatorToken|auditorToken',
      'listNodes GET /v1/admin/nodes [admin] operatorToken',
      'removeNode DELETE /v1/admin/nodes/{name} [admin] operatorToken',
      'rotateKey POST /v1/admin/keys/rotate [admin] operatorToken',
      'sendOverlapMessage POST /v1/node/overlap/messages [node] nodeSignature',
      'sendOverlapRefusal POST /v1/node/overlap/refusals [node] nodeSignature',
      'sendOverlapRelease POST /v1/node/overlap/releases [node] nodeSignature',
      'submitCheckpoint POST /v1/node/checkpoints [node] nodeSignature',
      'submitContribution POST /v1/node/jobs/{jobId}/rounds/{round}/submission [node] nodeSignature',
      'submitDecryption POST /v1/node/jobs/{jobId}/rounds/{round}/decryption [node] nodeSignature',
      'submitPolicySummary POST /v1/node/policy-summary [node] nodeSignature',
      'submitRefusal POST /v1/node/jobs/{jobId}/rounds/{round}/refusal [node] nodeSignature',
      'submitSecaggSetup POST /v1/node/jobs/{jobId}/rounds/{round}/secagg/setup [node] nodeSignature',
      'submitSecaggUnmask POST /v1/node/jobs/{jobId}/rounds/{round}/secagg/unmask [node] nodeSignature',
      'uploadKeyBundle POST /v1/node/keys/{keyId} [node] nodeSignature',
    ]);
    for (const { op } of operations()) {
      expect(op.summary?.length).toBeGreaterThan(5);
      expect(declared).toContain(op.tags?.[0]);
    }
  });

  it('marks every path parameter required, and the required query parameters', () => {
    const required = operations().flatMap(({ method, path, op }) =>
      (op.parameters ?? [])
        .filter((p) => p.required === true)
        .map((p) => `${method} ${path} ${p.in} ${p.name}`)
    );
    const pathParams = operations().flatMap(({ method, path }) =>
      [...path.matchAll(/\{(\w+)\}/g)].map((m) => `${method} ${path} path ${m[1]}`)
    );
    expect(required.filter((p) => p.includes(' path '))).toEqual(pathParams);
    expect(required.filter((p) => p.includes(' query '))).toEqual([
      'get /v1/transparency/proof/inclusion query index',
      'get /v1/transparency/proof/consistency query from',
    ]);
  });

  it('documents the 4xx statuses the routes answer, each with the Error schema', () => {
    expect(documented4xx(doc)).toEqual({
      getHealth: '',
      getOpenApiDocument: '',
      listNodes: '401 403',
      admitNode: '400 401 403 409 413',
      removeNode: '401 403 404',
      createEnrollmentToken: '400 401 403 409 413',
      listKeyEpochs: '401 403',
      rotateKey: '401 403',
      getActiveKeyEpoch: '401 403 409',
      createJob: '400 401 403 409 413',
      cancelJob: '401 403 404 409',
      getMetrics: '401',
      listJobs: '401 403',
      getJob: '401 403 404',
      getJobResult: '401 403 404',
      listJobEvents: '400 401 403 404',
      submitCheckpoint: '400 401 403 409 413 429',
      getLatestCheckpoint: '401 409 429',
      getTransparencyHead: '401',
      getTransparencyInclusionProof: '400 401',
      getTransparencyConsistencyProof: '400 401',
      listNodeCheckpoints: '401',
      listCheckpointRefusals: '401',
      enroll: '400 401 409 413',
      getNodeTasks: '400 401 409 429',
      uploadKeyBundle: '400 401 403 404 409 413 429',
      ackKey: '400 401 403 404 409 413 429',
      submitContribution: '400 401 403 404 409 413 429',
      submitRefusal: '400 401 403 404 409 413 429',
      submitDecryption: '400 401 403 404 409 413 429',
      submitPolicySummary: '400 401 403 409 413 429',
      submitSecaggSetup: '400 401 403 404 409 413 429',
      submitSecaggUnmask: '400 401 403 404 409 413 429',
      sendOverlapMessage: '400 401 403 404 409 413 429',
      sendOverlapRelease: '400 401 403 404 409 413 429',
      sendOverlapRefusal: '400 401 403 404 409 413 429',
    });
    expect(errorResponsesWithoutErrorSchema(doc)).toEqual([]);
  });

  it('documents security as the server enforces it: without credentials every secured operation is 401', async () => {
    const got: Record<string, number> = {};
    for (const { method, path, op } of operations()) {
      const res = await h.coordinator.app.request(concrete(path), {
        method: method.toUpperCase(),
        ...(method === 'get' ? {} : { body: '{}' }),
      });
      got[op.operationId as string] = res.status;
      if (res.status === 401) expect((await json(res)).error.code).toBe('UNAUTHORIZED');
    }
    const secured = operations().filter(({ op }) => securityOf(op) !== 'public');
    // The public operations answer without credentials: enroll's credential is the token in its body.
    expect(got).toEqual({
      ...Object.fromEntries(secured.map(({ op }) => [op.operationId, 401])),
      getHealth: 200,
      getOpenApiDocument: 200,
      enroll: 400,
    });
  });

  it('documents 403 for the operator operations: the auditor token gets 403 FORBIDDEN on exactly those', async () => {
    for (const { method, path, op } of operations().filter(({ op }) =>
      securityOf(op).includes('Token')
    )) {
      const res = await h.coordinator.app.request(concrete(path), {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${AUDITOR_TOKEN}`, 'content-type': 'application/json' },
        ...(method === 'get' ? {} : { body: '{}' }),
      });
      expect({ op: op.operationId, forbidden: res.status === 403 }).toEqual({
        op: op.operationId,
        forbidden: '403' in op.responses,
      });
    }
  });
});
