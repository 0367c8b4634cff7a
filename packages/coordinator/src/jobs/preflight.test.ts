import { describe, expect, it } from 'vitest';
import {
  POLICY_SUMMARY_DOMAIN,
  PolicySchema,
  policySummarySigningPayload,
  signCanonical,
} from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { federation, harness, json, testNode, type Harness, type TestNode } from '../_testing.ts';

/**
 * Job preflight (docs/federation-protocol.md): a job some participant's signed policy would
 * refuse is refused at creation, naming the node and the rule. Before, the job was created, ran
 * its rounds and failed with QUORUM_NOT_MET, the reason only in the refusing node's log.
 */
const nodes = ['p-a', 'p-b', 'p-c'].map((n, i) => testNode(n, 61 + i));
const [na, nb, nc] = nodes as [TestNode, TestNode, TestNode];

function summary(
  n: TestNode,
  terms: Partial<ReturnType<typeof PolicySchema.parse>> = {},
  at = '2026-03-01T11:00:00.000Z',
  signer: TestNode = n
) {
  const p = PolicySchema.parse(terms);
  const body = {
    node: n.name,
    terms: {
      allowedKinds: p.allowedKinds,
      allowedPurposes: p.allowedPurposes,
      maxEpsilonPerJob: p.maxEpsilonPerJob,
      minNodes: p.minNodes,
      minCohort: p.minCohort,
      testOnlyAllowNoiseOff: p.testOnlyAllowNoiseOff,
      delta: p.delta,
      allowedMechanisms: p.allowedMechanisms,
    },
    policyHash: 'cd'.repeat(32),
    at,
  };
  return {
    version: 1,
    ...body,
    signature: signCanonical(
      POLICY_SUMMARY_DOMAIN,
      policySummarySigningPayload(body),
      signer.signing.secretKey
    ),
  };
}

const job = (epsilon: number, extra: Record<string, unknown> = {}) => ({
  version: 1,
  kind: 'segment_stats',
  name: 'preflight',
  query: { version: 1, kind: 'segment_stats', purpose: 'analytics', asOf: '2026-01-01', epsilon },
  ...extra,
});

/** A two-round rfm job: its base query measures the three RFM fields with bounds. */
const rfmJob = (epsilon: number, extra: Record<string, unknown> = {}) => ({
  ...job(epsilon, extra),
  kind: 'rfm',
  query: {
    ...job(epsilon).query,
    measures: [
      { field: 'recency_days', lower: 0, upper: 1000 },
      { field: 'frequency', lower: 0, upper: 100 },
      { field: 'monetary', lower: 0, upper: 1000 },
    ],
  },
});

async function setup(): Promise<Harness> {
  const h = harness({ heFor });
  const he = await heFor(DEFAULT_HE_PARAMS);
  await federation(h, nodes, he.generateKeys().publicKey);
  return h;
}

const post = (h: Harness, n: TestNode, body: unknown) =>
  h.node(n, 'POST', '/v1/node/policy-summary', body);

describe('job preflight on signed policy summaries', () => {
  it('refuses at creation a job a participant would refuse, naming the node and the rule', async () => {
    const h = await setup();
    for (const n of nodes) expect((await post(h, n, summary(n))).status).toBe(200);
    expect(
      (await post(h, nb, summary(nb, { maxEpsilonPerJob: 1 }, '2026-03-01T11:30:00.000Z'))).status
    ).toBe(200);
    const refused = await h.op('POST', '/v1/jobs', job(1.5));
    expect(refused.status).toBe(403);
    const err = (await json(refused)).error;
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toContain(
      'p-b: round asks epsilon 1.5; this node allows at most 1 per job (maxEpsilonPerJob)'
    );
    expect(err.message).not.toContain('p-a');
    expect(h.store.jobs.listJobs()).toEqual([]);
    // Within every node's terms, or without the refusing node, the job is created.
    expect((await h.op('POST', '/v1/jobs', job(1))).status).toBe(201);
    expect(
      (
        await post(
          h,
          nc,
          summary(nc, { allowedPurposes: ['marketing'] }, '2026-03-01T11:40:00.000Z')
        )
      ).status
    ).toBe(200);
    const twoRules = await json(await h.op('POST', '/v1/jobs', job(1.5)));
    expect(twoRules.error.message).toMatch(
      /2 participants would refuse.*p-b: .*p-c: purpose "analytics" is not allowed/
    );
  });

  it('judges a two-round rfm job on its whole epsilon, and noise off on the test-only switch', async () => {
    const h = await setup();
    for (const n of nodes) await post(h, n, summary(n, { maxEpsilonPerJob: 1 }));
    const res = await json(await h.op('POST', '/v1/jobs', rfmJob(0.75)));
    expect(res.error.message).toContain('round asks epsilon 1.5');
    const off = await json(await h.op('POST', '/v1/jobs', job(0.5, { noise: 'off-test-only' })));
    expect(off.error.message).toContain('testOnlyAllowNoiseOff');
  });

  it('reads a Gaussian job in rho at each node delta, and refuses a mechanism a node does not allow', async () => {
    const h = await setup();
    for (const n of nodes) await post(h, n, summary(n, { maxEpsilonPerJob: 2 }));
    const rfm = (mechanism: string) => rfmJob(1.2, { mechanism });
    // Two Laplace rounds of 1.2 add up to 2.4; two Gaussian rounds of (1.2, 1e-7) compose in rho
    // and read as about 1.75 at the nodes' delta 1e-7.
    const laplace = await json(await h.op('POST', '/v1/jobs', rfm('distributed-laplace')));
    expect(laplace.error.message).toContain('round asks epsilon 2.4');
    expect((await h.op('POST', '/v1/jobs', rfm('distributed-gaussian'))).status).toBe(201);
    expect(
      (
        await post(
          h,
          nc,
          summary(
            nc,
            { allowedMechanisms: ['local-laplace'], maxEpsilonPerJob: 2 },
            '2026-03-01T11:45:00.000Z'
          )
        )
      ).status
    ).toBe(200);
    const refused = await json(await h.op('POST', '/v1/jobs', job(1)));
    expect(refused.error.code).toBe('POLICY_REFUSED');
    expect(refused.error.message).toContain(
      'p-c: noise mechanism "distributed-laplace" is not allowed by this node\'s policy (allowedMechanisms: local-laplace)'
    );
    expect((await h.op('POST', '/v1/jobs', job(1, { mechanism: 'local-laplace' }))).status).toBe(
      201
    );
  });

  it('takes a summary only from its own node, signed by it, and never an older one over a newer', async () => {
    const h = await setup();
    expect((await post(h, na, summary(nb))).status).toBe(403);
    expect((await post(h, na, summary(na, {}, undefined, nb))).status).toBe(401);
    expect((await post(h, na, summary(na, {}, '2026-03-01T11:50:00.000Z'))).status).toBe(200);
    expect((await post(h, na, summary(na, { maxEpsilonPerJob: 0.1 }))).status).toBe(409);
    const bad = await post(h, na, { ...summary(na), terms: { allowedKinds: [] } });
    expect(bad.status).toBe(400);
  });

  it('creates a job when participants sent no summary yet (they refuse at their round)', async () => {
    const h = await setup();
    expect((await h.op('POST', '/v1/jobs', job(1.5))).status).toBe(201);
  });
});
