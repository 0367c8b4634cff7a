import { afterEach, describe, expect, it } from 'vitest';
import { closeFlakyServer, flaky } from '../_flaky-server-testing.ts';
import { operatorClient } from './http.ts';

/**
 * The `fedmark job` commands' client (issue: "the operator client ... retry transient network
 * errors with backoff"): a GET survives dropped connections, a POST whose request reached the
 * coordinator is never sent twice.
 */
afterEach(closeFlakyServer);

describe('operatorClient (fedmark job ...)', () => {
  it('retries a GET whose connection was dropped', async () => {
    const s = await flaky(2, { ok: true });
    await expect(operatorClient(s.url, 't'.repeat(32)).get('/v1/jobs')).resolves.toEqual({
      ok: true,
    });
    expect(s.seen()).toBe(3);
  });

  it('does not repeat a POST that reached the coordinator, and says it could not reach it', async () => {
    const s = await flaky(1, { jobId: 'j' });
    await expect(operatorClient(s.url, 't'.repeat(32)).post('/v1/jobs', {})).rejects.toThrow(
      /cannot reach the coordinator/
    );
    expect(s.seen()).toBe(1);
  });
});
