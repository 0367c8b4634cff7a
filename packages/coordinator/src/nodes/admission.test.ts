import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ENROLL_DOMAIN,
  bytesToHex,
  enrollSigningPayload,
  signCanonical,
  signNodeRequest,
} from '@fedmark/protocol';
import { T0, admit, harness, testNode, json } from '../_testing.ts';

const bank = testNode('bank', 1);
const shop = testNode('shop', 2);

function enrollBody(n: typeof bank, token: string) {
  const m = {
    name: n.name,
    signingKey: bytesToHex(n.signing.publicKey),
    boxKey: bytesToHex(n.box.publicKey),
    token,
  };
  return {
    version: 1,
    ...m,
    signature: signCanonical(ENROLL_DOMAIN, enrollSigningPayload(m), n.signing.secretKey),
  };
}

describe('enrollment', () => {
  it('admits a node by its keys and starts key epoch k1 with it as generator', async () => {
    const h = harness();
    const res = await admit(h, bank);
    expect(res.status).toBe(201);
    expect(await json(res)).toEqual({
      name: 'bank',
      signingKey: bytesToHex(bank.signing.publicKey),
      boxKey: bytesToHex(bank.box.publicKey),
      admittedAt: new Date(T0).toISOString(),
      lastSeenAt: null,
    });
    const tasks = await (await h.node(bank, 'GET', '/v1/node/tasks')).json();
    expect(tasks.tasks).toEqual([
      {
        type: 'key_generate',
        keyId: 'k1',
        heParams: 'bfv-8192-t60',
        members: [
          {
            name: 'bank',
            signingKey: bytesToHex(bank.signing.publicKey),
            boxKey: bytesToHex(bank.box.publicKey),
          },
        ],
      },
    ]);
  });

  it('refuses operator calls without the token', async () => {
    const h = harness();
    const res = await h.coordinator.app.request('/v1/admin/nodes');
    expect(res.status).toBe(401);
    expect(await json(res)).toEqual({
      error: {
        code: 'UNAUTHORIZED',
        message: 'operator endpoints need Authorization: Bearer <operator token>',
      },
    });
  });

  it('enrolls with a one-time token that cannot be used twice', async () => {
    const h = harness();
    const tok = await h.op('POST', '/v1/admin/enrollment-tokens', { name: 'shop' });
    expect(tok.status).toBe(201);
    const { token, expiresAt } = await json(tok);
    expect(expiresAt).toBe(new Date(T0 + 24 * 3600 * 1000).toISOString());
    const first = await h.coordinator.app.request('/v1/enroll', {
      method: 'POST',
      body: JSON.stringify(enrollBody(shop, token)),
    });
    expect(first.status).toBe(200);
    expect((await json(first)).name).toBe('shop');
    const again = await h.coordinator.app.request('/v1/enroll', {
      method: 'POST',
      body: JSON.stringify(enrollBody(shop, token)),
    });
    expect(again.status).toBe(401);
    expect(await json(again)).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'enrollment token already used' },
    });
    const members = await (await h.op('GET', '/v1/admin/nodes')).json();
    expect(members.nodes.map((n: { name: string }) => n.name)).toEqual(['shop']);
  });

  it('refuses an expired token, a token for another name, and a forged enrollment signature', async () => {
    const h = harness();
    const { token } = await (
      await h.op('POST', '/v1/admin/enrollment-tokens', { name: 'shop', ttlMs: 1000 })
    ).json();
    const forged = { ...enrollBody(shop, token), signature: enrollBody(bank, token).signature };
    const f = await h.coordinator.app.request('/v1/enroll', {
      method: 'POST',
      body: JSON.stringify(forged),
    });
    expect(f.status).toBe(401);
    expect((await json(f)).error.code).toBe('INVALID_SIGNATURE');
    const other = await h.coordinator.app.request('/v1/enroll', {
      method: 'POST',
      body: JSON.stringify(enrollBody(bank, token)),
    });
    expect(await json(other)).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'enrollment token was issued for another node name' },
    });
    h.clock.now += 2000;
    const late = await h.coordinator.app.request('/v1/enroll', {
      method: 'POST',
      body: JSON.stringify(enrollBody(shop, token)),
    });
    expect(late.status).toBe(401);
    expect(await json(late)).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'enrollment token expired' },
    });
  });
});

describe('signed node requests', () => {
  it('refuses an unknown key with 401 UNAUTHORIZED', async () => {
    const h = harness();
    await admit(h, bank);
    const res = await h.node(shop, 'GET', '/v1/node/tasks');
    expect(res.status).toBe(401);
    expect(await json(res)).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'node "shop" is not admitted to this federation' },
    });
  });

  it('refuses a forged signature (401), a stale timestamp (401) and a replay (409)', async () => {
    const h = harness();
    await admit(h, bank);
    const forgedHeaders = signNodeRequest({
      method: 'GET',
      path: '/v1/node/tasks',
      node: 'bank',
      secretKey: shop.signing.secretKey,
      now: T0,
    });
    const forged = await h.coordinator.app.request('/v1/node/tasks', { headers: forgedHeaders });
    expect(forged.status).toBe(401);
    expect(await json(forged)).toEqual({
      error: {
        code: 'INVALID_SIGNATURE',
        message: 'request signature of node "bank" does not verify',
      },
    });

    const staleHeaders = signNodeRequest({
      method: 'GET',
      path: '/v1/node/tasks',
      node: 'bank',
      secretKey: bank.signing.secretKey,
      now: T0 - 10 * 60_000,
    });
    const stale = await h.coordinator.app.request('/v1/node/tasks', { headers: staleHeaders });
    expect(stale.status).toBe(401);
    expect((await json(stale)).error.code).toBe('STALE');

    const headers = signNodeRequest({
      method: 'GET',
      path: '/v1/node/tasks',
      node: 'bank',
      secretKey: bank.signing.secretKey,
      now: T0,
    });
    expect((await h.coordinator.app.request('/v1/node/tasks', { headers })).status).toBe(200);
    const replay = await h.coordinator.app.request('/v1/node/tasks', { headers });
    expect(replay.status).toBe(409);
    expect(await json(replay)).toEqual({
      error: {
        code: 'REPLAYED',
        message: `nonce ${headers['x-fedmark-nonce']} was already used by node "bank"`,
      },
    });
  });

  it('still refuses a replay after the coordinator restarts on the same directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-nonce-'));
    try {
      const h1 = harness({ dir });
      await admit(h1, bank);
      const headers = signNodeRequest({
        method: 'GET',
        path: '/v1/node/tasks',
        node: 'bank',
        secretKey: bank.signing.secretKey,
        now: T0,
      });
      expect((await h1.coordinator.app.request('/v1/node/tasks', { headers })).status).toBe(200);
      h1.store.close();
      const h2 = harness({ dir });
      const replay = await h2.coordinator.app.request('/v1/node/tasks', { headers });
      expect(replay.status).toBe(409);
      expect((await json(replay)).error.code).toBe('REPLAYED');
      h2.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers unknown routes with 404 NOT_FOUND and serves /health and /openapi.json', async () => {
    const h = harness();
    const res = await h.coordinator.app.request('/v2/nothing');
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route GET /v2/nothing' },
    });
    expect(await json(await h.coordinator.app.request('/health'))).toEqual({
      ok: true,
      version: 1,
    });
    const doc = await json(await h.coordinator.app.request('/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/node/jobs/{jobId}/rounds/{round}/submission');
    expect(doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema).toBeTypeOf(
      'object'
    );
  });
});
