import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProtocolError, verifyNodeRequest, hexToBytes } from '@fedmark/protocol';
import { initNode, loadIdentity, publicIdentity } from '../identity/index.ts';
import { TransientError, createCoordinatorClient, type FetchFn } from './client.ts';
import { admissionCommand, enrollNode } from './enroll.ts';
import { FakeCoordinator } from './_fake-coordinator.ts';

async function node(name: string): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'fed-client-')), name);
  await initNode({ dir, name });
  return dir;
}

function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => 'resolved',
    (e: unknown) => e
  );
}

describe('coordinator client', () => {
  it('signs the path as the server sees it, including a base path and the query string', async () => {
    const dir = await node('n1');
    const id = loadIdentity(dir);
    let seen: { url: string; headers: Record<string, string> } | undefined;
    const fetch: FetchFn = async (url, init) => {
      seen = { url, headers: init.headers };
      return new Response(JSON.stringify({ ok: true }), { status: 200 });
    };
    const client = createCoordinatorClient({
      coordinatorUrl: 'http://127.0.0.1:9/fed',
      identity: id,
      fetch,
    });
    expect(
      await client.request('GET', '/v1/node/tasks?wait=0', undefined, z.object({ ok: z.boolean() }))
    ).toEqual({ ok: true });
    expect(seen?.url).toBe('http://127.0.0.1:9/fed/v1/node/tasks?wait=0');
    const verified = verifyNodeRequest({
      method: 'GET',
      path: '/fed/v1/node/tasks?wait=0',
      body: '',
      headers: seen?.headers ?? {},
      publicKeyFor: () => id.signing.publicKey,
      now: Date.now(),
      seenNonce: () => false,
    });
    expect(verified.node).toBe('n1');
  });

  it('rebuilds typed errors from 4xx, refuses malformed responses, retries 5xx then gives up as transient', async () => {
    let calls = 0;
    const fetch: FetchFn = async (url) => {
      calls++;
      if (url.endsWith('/denied'))
        return new Response(
          JSON.stringify({
            error: { code: 'KEY_MISMATCH', message: 'submission under k2, job uses k3' },
          }),
          { status: 400 }
        );
      if (url.endsWith('/odd')) return new Response(JSON.stringify({ ok: 'yes' }), { status: 200 });
      return new Response('oops', { status: 503 });
    };
    const client = createCoordinatorClient({
      coordinatorUrl: 'http://127.0.0.1:9',
      fetch,
      attempts: 3,
      backoffMs: 1,
    });
    const schema = z.object({ ok: z.boolean() });
    const denied = await errorOf(client.request('POST', '/denied', {}, schema));
    expect(denied).toBeInstanceOf(ProtocolError);
    expect((denied as ProtocolError).code).toBe('KEY_MISMATCH');
    expect((denied as ProtocolError).message).toBe('submission under k2, job uses k3');
    const odd = await errorOf(client.request('GET', '/odd', undefined, schema));
    expect((odd as ProtocolError).message).toBe(
      'coordinator response to GET /odd is malformed: field "ok" Invalid input: expected boolean, received string'
    );
    calls = 0;
    const down = await errorOf(client.request('GET', '/down', undefined, schema));
    expect(down).toBeInstanceOf(TransientError);
    expect((down as Error).message).toBe('GET /down: coordinator unreachable after 3 attempts');
    expect(calls).toBe(3);
  });

  it('waits out a 429 (RATE_LIMITED) and retries, as it does a 5xx', async () => {
    let calls = 0;
    const fetch: FetchFn = async () => {
      calls++;
      if (calls === 1)
        return new Response(
          JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'retry in 1 s' } }),
          { status: 429, headers: { 'retry-after': '1' } }
        );
      return new Response(JSON.stringify({ ok: true }), { status: 200 });
    };
    const client = createCoordinatorClient({
      coordinatorUrl: 'http://127.0.0.1:9',
      fetch,
      backoffMs: 1,
    });
    expect(
      await client.request('GET', '/v1/node/tasks', undefined, z.object({ ok: z.boolean() }))
    ).toEqual({
      ok: true,
    });
    expect(calls).toBe(2);
  });

  it('stops retrying when aborted', async () => {
    const ac = new AbortController();
    let calls = 0;
    const fetch: FetchFn = async () => {
      calls++;
      ac.abort(new Error('stopping'));
      throw new TypeError('fetch failed');
    };
    const client = createCoordinatorClient({
      coordinatorUrl: 'http://127.0.0.1:9',
      fetch,
      signal: ac.signal,
      backoffMs: 1000,
    });
    const err = await errorOf(client.request('GET', '/x', undefined, z.object({})));
    // No retry after the abort: the first failure is returned at once.
    expect((err as Error).message).toBe('fetch failed');
    expect(calls).toBe(1);
  });
});

describe('enrollment', () => {
  it('enrolls with a one-time token and records the coordinator key (0600)', async () => {
    const dir = await node('bank-a');
    const coord = new FakeCoordinator([]);
    const res = await enrollNode({
      dir,
      coordinatorUrl: 'http://coordinator.test',
      token: 'ab'.repeat(32),
      fetch: coord.fetch,
    });
    const pub = publicIdentity(loadIdentity(dir));
    expect(res).toEqual({
      ...pub,
      coordinatorKey: Buffer.from(coord.key.publicKey).toString('hex'),
    });
    expect(coord.members).toEqual([
      { name: 'bank-a', signingKey: pub.signingKey, boxKey: pub.boxKey },
    ]);
    const file = join(dir, 'coordinator.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      url: 'http://coordinator.test',
      coordinatorKey: res.coordinatorKey,
    });
    expect(hexToBytes(res.coordinatorKey)).toEqual(coord.key.publicKey);
  });

  it('refuses a malformed token before any request and prints the manual admission command', async () => {
    const dir = await node('bank-b');
    const coord = new FakeCoordinator([]);
    const err = await errorOf(
      enrollNode({
        dir,
        coordinatorUrl: 'http://coordinator.test',
        token: 'nope',
        fetch: coord.fetch,
      })
    );
    expect((err as ProtocolError).code).toBe('BAD_REQUEST');
    expect(coord.requests).toEqual([]);
    const pub = publicIdentity(loadIdentity(dir));
    expect(admissionCommand(dir)).toBe(
      `fedmark coordinator admit --dir <coordinator dir> --name bank-b --signing-key ${pub.signingKey} --box-key ${pub.boxKey}`
    );
  });
});
