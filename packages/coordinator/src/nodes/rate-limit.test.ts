import { describe, expect, it } from 'vitest';
import { admit, harness, json, testNode } from '../_testing.ts';
import { RateLimiter } from './rate-limit.ts';

const [a, b] = [testNode('r-a', 91), testNode('r-b', 92)];

describe('per-node rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a node spent its burst; others are unaffected; it refills', async () => {
    const h = harness({ nodeRateLimit: { capacity: 3, refillPerSecond: 1 } });
    await admit(h, a);
    await admit(h, b);
    for (let i = 0; i < 3; i++) expect((await h.node(a, 'GET', '/v1/node/tasks')).status).toBe(200);
    const limited = await h.node(a, 'GET', '/v1/node/tasks');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await json(limited)).error.code).toBe('RATE_LIMITED');
    expect((await h.node(b, 'GET', '/v1/node/tasks')).status).toBe(200);
    h.clock.now += 1000;
    expect((await h.node(a, 'GET', '/v1/node/tasks')).status).toBe(200);
  });

  it('counts only requests whose signature verified: a forger cannot spend the allowance of a node', async () => {
    const h = harness({ nodeRateLimit: { capacity: 2, refillPerSecond: 1 } });
    await admit(h, a);
    // Signed with b's key but naming a: refused before the bucket is touched.
    const forged = { ...a, signing: b.signing };
    for (let i = 0; i < 5; i++)
      expect((await h.node(forged, 'GET', '/v1/node/tasks')).status).toBe(401);
    expect((await h.node(a, 'GET', '/v1/node/tasks')).status).toBe(200);
    expect((await h.node(a, 'GET', '/v1/node/tasks')).status).toBe(200);
  });

  it('limits a remote address before reading its headers: 429 with Retry-After, the connection closed, other addresses unaffected', async () => {
    const h = harness({ addressRateLimit: { capacity: 3, refillPerSecond: 1 } });
    await admit(h, a);
    // What @hono/node-server gives a handler on a real socket (getConnInfo reads it).
    const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
    const unsigned = (address: string) =>
      h.coordinator.app.request('/v1/node/tasks', { method: 'GET' }, from(address));
    for (let i = 0; i < 3; i++) expect((await unsigned('10.0.0.9')).status).toBe(401);
    const limited = await unsigned('10.0.0.9');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('connection')).toBe('close');
    expect((await json(limited)).error).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('address 10.0.0.9 sent too many requests'),
    });
    expect((await unsigned('10.0.0.10')).status).toBe(401);
    h.clock.now += 1000;
    expect((await unsigned('10.0.0.9')).status).toBe(401);
  });

  it('refuses a limit without capacity or refill', () => {
    expect(() => new RateLimiter({ capacity: 0, refillPerSecond: 1 }, () => 0)).toThrow(RangeError);
    expect(() => new RateLimiter({ capacity: 1, refillPerSecond: 0 }, () => 0)).toThrow(RangeError);
  });
});
