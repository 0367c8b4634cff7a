import { afterEach, describe, expect, it } from 'vitest';
import { closeFlakyServer, flaky } from '../_flaky-server-testing.ts';
import { OperatorClient } from './operator-client.ts';

/**
 * The operator client rides out a dropped connection (a GET is retried with backoff), but never
 * sends a POST twice after a lost answer: the first may have created the job.
 */
afterEach(closeFlakyServer);

describe('OperatorClient retries', () => {
  it('retries a GET whose connection was dropped, and gets the answer', async () => {
    const s = await flaky(2, {
      version: 1,
      jobId: 'j-1',
      name: 'x',
      kind: 'segment_stats',
      status: 'published',
      rounds: [],
    });
    const result = await new OperatorClient(s.url, 't'.repeat(32)).result('j-1');
    expect(result.status).toBe('published');
    expect(s.seen()).toBe(3);
  });

  it('does not send a POST again when its connection dropped after the request', async () => {
    const s = await flaky(1, { jobId: 'j-2' });
    const client = new OperatorClient(s.url, 't'.repeat(32));
    await expect(client.createJob({ version: 1 } as never, 0)).rejects.toThrow(/fetch failed/);
    expect(s.seen()).toBe(1);
  });

  it('sends a POST again when the connection was never made (connect timeout under load)', async () => {
    // undici reports a TCP connect that timed out as UND_ERR_CONNECT_TIMEOUT: the request never
    // left this process, so sending it again cannot create a second job (docs/scale.md
    // "Node count": the 60-node run ended on one of these).
    let calls = 0;
    const fetch = async (): Promise<Response> => {
      calls += 1;
      if (calls === 1)
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('Connect Timeout Error'), {
            code: 'UND_ERR_CONNECT_TIMEOUT',
          }),
        });
      return new Response(JSON.stringify({ jobId: 'j-4' }), { status: 200 });
    };
    const client = new OperatorClient('http://127.0.0.1:9', 't'.repeat(32), fetch);
    expect(await client.createJob({ version: 1 } as never, 0)).toBe('j-4');
    expect(calls).toBe(2);
  });

  it('gives up after four attempts', async () => {
    const s = await flaky(10, {});
    await expect(new OperatorClient(s.url, 't'.repeat(32)).job('j-3')).rejects.toThrow(
      /fetch failed/
    );
    expect(s.seen()).toBe(4);
  });
});
