import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { signNodeRequest } from '@fedmark/protocol';
import { admit, harness, json, testNode } from '../_testing.ts';

/**
 * Node requests may arrive gzip-compressed (protocol request-body.ts): the coordinator inflates
 * them, capped at the body limit, and checks the signature over the inflated JSON text.
 */
const PATH = '/v1/node/policy-summary';

async function send(
  h: ReturnType<typeof harness>,
  n: ReturnType<typeof testNode>,
  o: { signed: string; body: Uint8Array | string; encoding?: string }
) {
  const headers = signNodeRequest({
    method: 'POST',
    path: PATH,
    body: o.signed,
    node: n.name,
    secretKey: n.signing.secretKey,
    now: h.clock.now,
  });
  return h.coordinator.app.request(PATH, {
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/json',
      ...(o.encoding ? { 'content-encoding': o.encoding } : {}),
    },
    body: o.body,
  });
}

describe('compressed node request bodies', () => {
  // Not a policy summary: past authentication, the route refuses it as a bad body (400).
  const text = JSON.stringify({ version: 1, padding: 'x'.repeat(40_000) });

  it('inflates a gzip body and verifies the signature over the text the node signed', async () => {
    const h = harness();
    const n = testNode('n1', 41);
    await admit(h, n);
    const res = await send(h, n, { signed: text, body: gzipSync(text), encoding: 'gzip' });
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error.code).toBe('BAD_REQUEST');
    // A schema error about the summary's fields: the request itself was authenticated.
    expect(error.message).toContain('policyHash: Invalid input');
  });

  it('refuses a gzip body whose text is not the one signed', async () => {
    const h = harness();
    const n = testNode('n1', 42);
    await admit(h, n);
    const other = text.replace('"version":1', '"version":2');
    const res = await send(h, n, { signed: text, body: gzipSync(other), encoding: 'gzip' });
    expect(res.status).toBe(401);
    expect((await json(res)).error.message).toContain('signature');
    // Nor may the compressed bytes stand in for the text they encode.
    const raw = await send(h, n, { signed: text, body: gzipSync(text) });
    expect(raw.status).toBe(401);
    expect((await json(raw)).error.message).toContain('signature');
  });

  it('refuses a body that inflates past the body limit (a decompression bomb) with 413', async () => {
    const h = harness();
    const n = testNode('n1', 43);
    await admit(h, n);
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024)); // 40 MiB of zeros, about 40 KB sent
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await send(h, n, { signed: 'unknown', body: bomb, encoding: 'gzip' });
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses another content encoding and a corrupt gzip stream with 400', async () => {
    const h = harness();
    const n = testNode('n1', 44);
    await admit(h, n);
    const br = await send(h, n, { signed: text, body: text, encoding: 'br' });
    expect(br.status).toBe(400);
    expect((await json(br)).error.message).toContain('content-encoding "br" is not accepted');
    const corrupt = gzipSync(text);
    corrupt[20] = (corrupt[20] as number) ^ 0xff;
    const bad = await send(h, n, { signed: text, body: corrupt, encoding: 'gzip' });
    expect(bad.status).toBe(400);
  });
});
