import { describe, expect, it } from 'vitest';
import { harness, json, testNode, admit } from '../_testing.ts';

/**
 * Authentication before the body: an unsigned request, or one naming a node that is not
 * admitted, is refused from its headers alone, having read no more than a few KB of its body
 * (docs/coordinator.md, "Authenticating node requests"). Before, the coordinator buffered the
 * whole body (up to 32 MiB) first: 16 concurrent unsigned 31 MiB requests took its memory from
 * 382 MB to 719 MB.
 */
const BODY_BYTES = 8 * 1024 * 1024;

/** A request body that counts how many bytes the server pulled from it. */
function countingBody(total: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const chunk = new Uint8Array(16 * 1024).fill(0x7b);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => sent };
}

describe('node endpoints authenticate before reading the body', () => {
  it.each([
    ['no signed-request headers', {}, 'signed request headers missing'],
    [
      'a node that is not admitted',
      {
        'x-fedmark-node': 'stranger',
        'x-fedmark-timestamp': String(Date.now()),
        'x-fedmark-nonce': '0'.repeat(32),
        'x-fedmark-signature': '0'.repeat(128),
      },
      'node "stranger" is not admitted to this federation',
    ],
  ])('%s: 401 after reading at most 256 KiB of an 8 MiB body', async (_what, headers, message) => {
    const h = harness();
    await admit(h, testNode('n1', 71));
    const { body, pulled } = countingBody(BODY_BYTES);
    const res = await h.coordinator.app.request('/v1/node/checkpoints', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining(message),
    });
    // What was pulled is the request stream's own read-ahead (about a dozen chunks), not the body.
    expect(pulled()).toBeLessThanOrEqual(256 * 1024);
    // And the connection closes with the refusal: kept alive, Node's server would read and
    // discard the rest of the body to reuse the socket (bench/load.bench.ts measured the cost).
    expect(res.headers.get('connection')).toBe('close');
  });
});
