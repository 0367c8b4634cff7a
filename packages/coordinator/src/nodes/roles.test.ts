import { describe, expect, it } from 'vitest';
import { bytesToHex, signingKeyPairFromSeed } from '@fedmark/protocol';
import { createCoordinator } from '../app.ts';
import { openStore } from '../store/index.ts';
import { AUDITOR_TOKEN, OPERATOR_TOKEN, admit, harness, json, testNode } from '../_testing.ts';
import { tokenRoleOf } from './auth.ts';

const FORBIDDEN = {
  error: {
    code: 'FORBIDDEN',
    message: 'the auditor token may not use this endpoint (it needs the operator token)',
  },
};
interface Doc {
  paths: Record<
    string,
    Record<
      string,
      { security: unknown; parameters?: { name: string; in: string; required: boolean }[] }
    >
  >;
  components: { securitySchemes: Record<string, unknown> };
}
/** The document the app serves, as an operations list. */
async function servedDoc(
  h: ReturnType<typeof harness>
): Promise<{ doc: Doc; operations: { method: string; path: string; security: unknown }[] }> {
  const doc = (await json(await h.coordinator.app.request('/openapi.json'))) as Doc;
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method, path, security: op.security }))
  );
  return { doc, operations };
}

const concrete = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === 'name' ? 'node-a' : name === 'id' ? 'j-0000000000000000' : 'x'
  );

/** Bodies that the operator endpoints would accept, so a missing role check would show as a change. */
function validBody(path: string, method: string): unknown {
  const n = testNode('intruder', 77);
  if (path === '/v1/admin/nodes' && method === 'post')
    return {
      name: n.name,
      signingKey: bytesToHex(n.signing.publicKey),
      boxKey: bytesToHex(n.box.publicKey),
    };
  if (method !== 'post') return undefined;
  if (path === '/v1/admin/enrollment-tokens') return { name: 'intruder' };
  if (path === '/v1/jobs')
    return {
      version: 1,
      kind: 'segment_stats',
      name: 'sneaky',
      minNodes: 3,
      query: {
        version: 1,
        kind: 'segment_stats',
        purpose: 'analytics',
        asOf: '2026-01-01',
        epsilon: 1,
      },
    };
  return undefined;
}

describe('coordinator roles: operator and auditor tokens', () => {
  it('refuses the auditor token with 403 FORBIDDEN on every operator endpoint, and changes nothing', async () => {
    const h = harness();
    await admit(h, testNode('node-a', 1));
    const before = {
      nodes: h.store.nodes.list().length,
      epochs: h.store.keys.list().length,
      jobs: h.store.jobs.listJobs().length,
    };
    const operatorRoutes = (await servedDoc(h)).operations.filter(
      (r) => JSON.stringify(r.security) === JSON.stringify([{ operatorToken: [] }])
    );
    expect(operatorRoutes.length).toBe(13);
    for (const r of operatorRoutes) {
      const res = await h.aud(
        r.method.toUpperCase(),
        concrete(r.path),
        validBody(r.path, r.method)
      );
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({
        route: `${r.method} ${r.path}`,
        status: 403,
      });
      expect(await json(res)).toEqual(FORBIDDEN);
    }
    expect({
      nodes: h.store.nodes.list().length,
      epochs: h.store.keys.list().length,
      jobs: h.store.jobs.listJobs().length,
    }).toEqual(before);
    expect(h.store.nodes.get('node-a')?.removedAt).toBeNull();
    // The operator token still works on the same routes.
    expect((await h.op('GET', '/v1/admin/nodes')).status).toBe(200);
  });

  it('lets both tokens read the transparency log; no token or an unknown one is 401', async () => {
    const h = harness();
    const paths = [
      '/v1/transparency/head',
      '/v1/transparency/nodes/node-a/checkpoints',
      '/v1/transparency/refusals',
      '/v1/transparency/refusals?node=node-a',
    ];
    for (const p of paths) {
      expect((await h.aud('GET', p)).status).toBe(200);
      expect((await h.op('GET', p)).status).toBe(200);
      const none = await h.coordinator.app.request(p);
      expect(none.status).toBe(401);
      expect(await json(none)).toEqual({
        error: {
          code: 'UNAUTHORIZED',
          message:
            'auditor endpoints need Authorization: Bearer <operator token> or <auditor token>',
        },
      });
      const wrong = await h.coordinator.app.request(p, {
        headers: { authorization: `Bearer ${AUDITOR_TOKEN}x` },
      });
      expect(wrong.status).toBe(401);
    }
    expect((await json(await h.aud('GET', '/v1/transparency/head'))).head).toMatchObject({
      origin: 'fedmark-coordinator',
      treeSize: 0,
    });
    const unknown = await h.coordinator.app.request('/v1/jobs', {
      headers: { authorization: 'Bearer not-a-token-at-all' },
    });
    expect(unknown.status).toBe(401);
    expect(await json(unknown)).toEqual({
      error: {
        code: 'UNAUTHORIZED',
        message: 'operator endpoints need Authorization: Bearer <operator token>',
      },
    });
  });

  it('without an auditor token there is no auditor role; equal tokens are refused', () => {
    const base = {
      store: openStore(':memory:'),
      coordinatorKey: signingKeyPairFromSeed(new Uint8Array(32).fill(5)),
      operatorToken: OPERATOR_TOKEN,
      log: () => {},
      timers: false,
    };
    const c = createCoordinator(base);
    const roleOf = tokenRoleOf(c.ctx);
    expect(roleOf(OPERATOR_TOKEN)).toBe('operator');
    expect(roleOf(AUDITOR_TOKEN)).toBeUndefined();
    expect(roleOf('')).toBeUndefined();
    const both = createCoordinator({ ...base, auditorToken: AUDITOR_TOKEN });
    expect(tokenRoleOf(both.ctx)(AUDITOR_TOKEN)).toBe('auditor');
    expect(tokenRoleOf(both.ctx)(OPERATOR_TOKEN)).toBe('operator');
    expect(() => createCoordinator({ ...base, auditorToken: OPERATOR_TOKEN })).toThrow(
      new RangeError(
        '"auditorToken" must differ from "operatorToken" (each role needs its own token)'
      )
    );
  });
});

describe('GET /openapi.json', () => {
  it('documents every API route the app serves, and nothing it does not serve', async () => {
    const h = harness();
    const { doc } = await servedDoc(h);
    const served = new Set(
      h.coordinator.app.routes
        .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/console'))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
    );
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
    // getRoundCiphertexts is gone (secure aggregation); submitSecaggSetup and submitSecaggUnmask
    // are new, and submitPolicySummary (job preflight), cancelJob and getMetrics.
    expect(served.size).toBe(36);
    expect(served.has('get /v1/node/jobs/{jobId}/rounds/{round}/ciphertexts')).toBe(false);
    expect(served.has('post /v1/node/jobs/{jobId}/rounds/{round}/secagg/setup')).toBe(true);
    expect(served.has('post /v1/node/jobs/{jobId}/rounds/{round}/secagg/unmask')).toBe(true);
  });

  it('marks the transparency routes operator-or-auditor and documents their query parameters', async () => {
    const { doc } = await servedDoc(harness());
    expect(doc.components.securitySchemes['auditorToken']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    for (const p of [
      '/v1/transparency/head',
      '/v1/transparency/proof/inclusion',
      '/v1/transparency/proof/consistency',
      '/v1/transparency/nodes/{name}/checkpoints',
      '/v1/transparency/refusals',
    ]) {
      expect(doc.paths[p]?.['get']?.security).toEqual([
        { operatorToken: [] },
        { auditorToken: [] },
      ]);
    }
    expect(doc.paths['/v1/jobs']?.['post']?.security).toEqual([{ operatorToken: [] }]);
    expect(doc.paths['/v1/node/checkpoints']?.['post']?.security).toEqual([{ nodeSignature: [] }]);
    expect(doc.paths['/v1/transparency/proof/inclusion']?.['get']?.parameters).toEqual([
      expect.objectContaining({ name: 'index', in: 'query', required: true }),
      expect.objectContaining({ name: 'size', in: 'query', required: false }),
    ]);
  });
});
