import { describe, expect, it } from 'vitest';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { countJobSpec, federation, harness, json, testNode } from '../_testing.ts';

const nodes = ['m-a', 'm-b', 'm-c'].map((n, i) => testNode(n, 81 + i));

describe('GET /metrics', () => {
  it('counts requests by route pattern, and reports jobs, rounds and nodes, for operator and auditor', async () => {
    const h = harness({ heFor });
    await federation(h, nodes, (await heFor(DEFAULT_HE_PARAMS)).generateKeys().publicKey);
    await h.node(nodes[0]!, 'GET', '/v1/node/tasks');
    const { jobId } = await json(await h.op('POST', '/v1/jobs', countJobSpec('m')));
    await h.op('GET', `/v1/jobs/${jobId}`);
    await h.op('GET', `/v1/jobs/${jobId}`);
    const res = await h.op('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain(
      'fedmark_http_requests_total{method="GET",route="/v1/jobs/:id",status="200"} 2'
    );
    expect(text).toContain('fedmark_jobs{status="running",code=""} 1');
    expect(text).toContain('fedmark_rounds_active{status="setup"} 1');
    expect(text).toContain('fedmark_nodes_admitted 3');
    expect(text).toMatch(/fedmark_node_last_seen_age_seconds\{node="m-a"\} \d/);
    // Route patterns, never raw paths: no job id in any label.
    expect(text).not.toContain(jobId);
    expect((await h.aud('GET', '/metrics')).status).toBe(200);
    expect((await h.coordinator.app.request('/metrics')).status).toBe(401);
  });
});
