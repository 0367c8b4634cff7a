import { describe, expect, it } from 'vitest';
import { fetchWithRetry } from './http-retry.ts';

/** A fetch that fails with a network error code or answers with a status, by script, counting calls. */
function scripted(steps: Array<number | string>): {
  fetch: (u: string) => Promise<Response>;
  calls: () => number;
} {
  let n = 0;
  return {
    calls: () => n,
    fetch: async () => {
      const step = steps[Math.min(n, steps.length - 1)] as number | string;
      n += 1;
      if (typeof step === 'string')
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error(step), { code: step }),
        });
      return new Response('{}', { status: step });
    },
  };
}

const ok = 200;
const fast = { backoffMs: 1 };

describe('fetchWithRetry', () => {
  it('retries a GET on a reset connection and on 503, then returns the answer', async () => {
    const f = scripted(['ECONNRESET', 503, ok]);
    const res = await fetchWithRetry(f.fetch, 'http://x/', { method: 'GET' }, fast);
    expect(res.status).toBe(200);
    expect(f.calls()).toBe(3);
  });

  it('retries a POST only when the connection was never made', async () => {
    const never = scripted(['UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED', ok]);
    await fetchWithRetry(never.fetch, 'http://x/', { method: 'POST' }, fast);
    expect(never.calls()).toBe(3);
    const reset = scripted(['ECONNRESET', ok]);
    await expect(
      fetchWithRetry(reset.fetch, 'http://x/', { method: 'POST' }, fast)
    ).rejects.toThrow(/fetch failed/);
    expect(reset.calls()).toBe(1);
  });

  it('returns a POST 503 as it is (the server may have acted) and gives up a GET after `attempts`', async () => {
    const post = scripted([503, ok]);
    expect((await fetchWithRetry(post.fetch, 'http://x/', { method: 'POST' }, fast)).status).toBe(
      503
    );
    const get = scripted(['ECONNRESET']);
    await expect(
      fetchWithRetry(get.fetch, 'http://x/', { method: 'GET' }, { ...fast, attempts: 3 })
    ).rejects.toThrow(/fetch failed/);
    expect(get.calls()).toBe(3);
  });
});
