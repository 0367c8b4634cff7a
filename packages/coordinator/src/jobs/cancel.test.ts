import { describe, expect, it } from 'vitest';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { countJobSpec, federation, harness, json, testNode } from '../_testing.ts';
import { setupRound } from './_secagg-testing.ts';

const nodes = ['c-a', 'c-b', 'c-c'].map((n, i) => testNode(n, 71 + i));
const spec = countJobSpec('to cancel', { stragglerWaitMs: 0 });

describe('job cancel', () => {
  it('fails the running job and its open round (CANCELLED); nodes get no more tasks; once only', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, (await heFor(DEFAULT_HE_PARAMS)).generateKeys().publicKey);
    const { jobId } = await json(await h.op('POST', '/v1/jobs', spec));
    await setupRound(h, nodes, jobId, 0);
    expect(h.store.jobs.getRound(jobId, 0)?.status).toBe('open');
    expect((await json(await h.node(nodes[0]!, 'GET', '/v1/node/tasks'))).tasks).toHaveLength(1);

    const res = await h.op('POST', `/v1/jobs/${jobId}/cancel`);
    expect(res.status).toBe(200);
    const status = await json(res);
    expect(status.status).toBe('failed');
    expect(status.failure).toEqual({ code: 'CANCELLED', message: 'cancelled by the operator' });
    expect(status.rounds[0].status).toBe('failed');
    for (const n of nodes)
      expect((await json(await h.node(n, 'GET', '/v1/node/tasks'))).tasks).toEqual([]);
    const events = (await json(await h.op('GET', `/v1/jobs/${jobId}/events`))).events;
    expect(events.at(-1)).toMatchObject({ type: 'job_failed', detail: { code: 'CANCELLED' } });

    expect((await h.op('POST', `/v1/jobs/${jobId}/cancel`)).status).toBe(409);
    expect((await h.op('POST', '/v1/jobs/j-0000000000000000/cancel')).status).toBe(404);
    expect((await h.aud('POST', `/v1/jobs/${jobId}/cancel`)).status).toBe(403);
  });
});
