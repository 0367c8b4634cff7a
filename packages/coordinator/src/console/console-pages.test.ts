import { beforeAll, describe, expect, it } from 'vitest';
import {
  ClvRoundQuerySchema,
  SegmentStatsJobSpecSchema,
  clvBlock,
  clvQueryLayout,
  clvStartTheta,
  isClvStartRound,
  TrainSpecSchema,
  layoutOf,
  roundLayout,
  standardisationLayout,
  type He,
} from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { jobResult } from '../jobs/status.ts';
import {
  OPERATOR_TOKEN,
  federation,
  harness,
  json,
  makeRefusal,
  makeSubmission,
  specHashOf,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import {
  masked,
  maskedSum,
  setupRound,
  submitMasked,
  unmaskAndDecrypt,
  unmaskBy,
} from '../jobs/_secagg-testing.ts';
import { decryptByTwo } from '../jobs/_round-testing.ts';
import { churnTrainInput, trainJobSpec } from '../jobs/_train-testing.ts';
import { session, testIdText, type Browser } from './_console-testing.ts';
import { fmtCount, fmtInterval, fmtNumber } from './format.ts';

const nodes = [
  testNode('n1', 41),
  testNode('n2', 42),
  testNode('n3', 43),
  testNode('n4', 44),
] as const;
const spec = {
  version: 1,
  kind: 'segment_stats',
  name: 'nes by console',
  minNodes: 3,
  deadlineMs: 60_000,
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 1,
    dimensions: [{ field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] }],
  },
};
const layout = layoutOf(SegmentStatsJobSpecSchema.parse(spec).query);

let he: He;
let keys: { secretKey: Uint8Array; publicKey: Uint8Array };
beforeAll(async () => {
  he = await heFor(DEFAULT_HE_PARAMS);
  keys = he.generateKeys();
});

async function operatorWithFederation(
  members: readonly TestNode[]
): Promise<{ h: Harness; b: Browser; keyId: string }> {
  const h = harness({ heFor });
  const keyId = await federation(h, [...members], keys.publicKey);
  return { h, b: await session(h.coordinator.app, OPERATOR_TOKEN), keyId };
}

/** One round through secure aggregation and decryption, every node submitting `values`. */
async function runMaskedRound(
  h: Harness,
  keyId: string,
  members: readonly TestNode[],
  r: { jobId: string; round: number; layoutHash: string; epsilon: number; values: bigint[] }
): Promise<void> {
  await setupRound(h, members, r.jobId, r.round);
  await submitMasked(h, he, keys.secretKey, members, { ...r, keyId });
  await unmaskAndDecrypt(h, he, keys.secretKey, members, r);
  expect(h.store.jobs.getRound(r.jobId, r.round)?.result?.values).toEqual(
    r.values.map((v) => String(v * BigInt(members.length)))
  );
}

describe('coordinator console pages with a real job', () => {
  it('follows a job from the JSON form through submissions, a refusal and decryption to its result table and chart', async () => {
    const { h, b, keyId } = await operatorWithFederation(nodes);
    const created = await b.post('/console/jobs/new', {
      action: 'create-json',
      template: 'lifecycle',
      spec: JSON.stringify(spec),
    });
    expect(created.status).toBe(303);
    const jobId = h.store.jobs.listJobs()[0]?.id as string;
    expect(created.res.headers.get('location')).toBe(`/console/jobs/${jobId}`);

    let page = await b.get(`/console/jobs/${jobId}`);
    expect(page.status).toBe(200);
    expect(testIdText(page.html, 'job-state')).toBe('running');
    expect(page.html).toContain('<meta http-equiv="refresh" content="2"/>');
    expect(testIdText(page.html, 'round-0-state')).toBe('setup');
    expect(page.html).toContain('0 of 4 submitted, 0 refused, 4 pending (at least 3 needed).');

    // Every node sends its secure-aggregation setup; the round opens for masked input.
    await setupRound(h, nodes, jobId, 0);
    page = await b.get(`/console/jobs/${jobId}`);
    expect(testIdText(page.html, 'round-0-state')).toBe('open');
    expect(page.html).toContain('0 of 4 submitted, 0 refused, 4 pending (at least 3 needed).');

    const truth = Array.from({ length: layout.length }, (_, k) => BigInt(600 + 3 * k));
    for (const [i, n] of nodes.slice(0, 3).entries()) {
      const sub = makeSubmission(he, keys.secretKey, n, {
        jobId,
        round: 0,
        keyId,
        layoutHash: layout.hash,
        specHash: specHashOf(h, jobId, 0),
        values: masked(
          h,
          n,
          jobId,
          0,
          Array.from({ length: layout.length }, (_, k) => BigInt(100 * (i + 1) + k))
        ),
        epsilon: 1,
      });
      expect(
        (await h.node(n, 'POST', `/v1/node/jobs/${jobId}/rounds/0/submission`, sub)).status
      ).toBe(200);
    }
    await h.node(
      nodes[3],
      'POST',
      `/v1/node/jobs/${jobId}/rounds/0/refusal`,
      makeRefusal(
        nodes[3],
        { jobId, round: 0, specHash: specHashOf(h, jobId, 0) },
        'analytics budget spent for this period'
      )
    );
    page = await b.get(`/console/jobs/${jobId}`);
    expect(testIdText(page.html, 'round-0-state')).toBe('decrypting');
    expect(page.html).toContain('3 of 4 submitted, 1 refused, 0 pending');
    expect(page.html).toContain(
      '<td>n4</td><td><span class="badge bad">refused</span></td><td>analytics budget spent for this period</td>'
    );
    expect(page.html).toContain('Decryption shares (0 of 3 received; two agreeing publish)');

    // The survivors answer the unmask; the decryptors post the masked sum they decrypt.
    await unmaskBy(h, nodes.slice(0, 3), jobId, 0);
    const plain = maskedSum(h, he, keys.secretKey, jobId, 0);
    expect(plain).not.toEqual(truth);
    await decryptByTwo(h, nodes, { jobId, round: 0, layoutHash: layout.hash }, plain);
    page = await b.get(`/console/jobs/${jobId}`);
    expect(testIdText(page.html, 'job-state')).toBe('published');
    expect(page.html).not.toContain('http-equiv="refresh"');
    expect(
      [...page.html.matchAll(/<td>(agrees|awaiting|disagrees)<\/td>/g)].map((m) => m[1])
    ).toEqual(['agrees', 'agrees', 'awaiting']);
    expect(page.html).toContain(
      `<a href="/console/jobs/${jobId}/result">View results (1 round published)</a>`
    );

    const result = await b.get(`/console/jobs/${jobId}/result`);
    expect(result.status).toBe(200);
    expect(result.html).toContain('<title>Results: nes by console · fedmark coordinator</title>');
    expect(result.html).toMatch(/<svg class="chart"[^>]*data-testid="result-chart"/);
    expect(result.html).toContain('<g class="err-bar">');
    expect(result.html).toContain('<th scope="col">nes_status</th>');
    expect(result.html).toContain('95% interval');
    const cells = jobResult(h.coordinator.ctx, jobId).rounds[0]?.cells ?? [];
    const count = cells.find((c) => c.block === 'count' && c.labels[0] === 'E0');
    expect(count?.estimate).toBe(Number(truth[1]));
    // Counts are whole numbers with separators, the interval's ends too (protocol results/number-format.ts).
    expect(result.html).toContain(
      `<td>E0</td><td class="num">${fmtCount(count?.estimate ?? NaN)}</td><td class="num">${fmtInterval(count?.ci95 ?? [0, 0], 'count')}</td>`
    );
    expect(result.html).toContain('3 contributing nodes (n1, n2, n3), epsilon 1 per node');
    // The `total` block has no labels: one "all" row under a Cell column, not the dimension columns.
    const total = cells.find((c) => c.block === 'total');
    expect(total?.labels).toEqual([]);
    expect(result.html).toContain(
      `<thead><tr><th scope="col">Cell</th><th scope="col" class="num">Estimate</th>`
    );
    expect(result.html).toContain(
      `<td>all</td><td class="num">${fmtCount(total?.estimate ?? NaN)}</td>`
    );

    const list = await b.get('/console/results');
    expect(list.html).toContain(`<a href="/console/jobs/${jobId}/result">nes by console</a>`);
    expect(list.html).toContain('1 of 1');
    const jobs = await b.get('/console/jobs');
    expect(jobs.html).toContain(`<a href="/console/jobs/${jobId}">nes by console</a>`);
    expect(jobs.html).not.toContain('http-equiv="refresh"');

    const nodesPage = await b.get('/console/nodes');
    for (const n of nodes)
      expect(nodesPage.html).toContain(
        `<td>${n.name}</td><td><span class="badge good">online</span></td>`
      );
    expect(nodesPage.html).toContain(`${keyId} (active; key installed)`);
    expect(nodesPage.html).toContain('n1 ✓, n2 ✓, n3 ✓, n4 ✓ (4/4)');
  });

  it('shows a train job as loss and validation AUC per round, as line charts and a table', async () => {
    const three = nodes.slice(0, 3);
    const { h, b, keyId } = await operatorWithFederation(three);
    const trainInput = churnTrainInput({ rounds: 2, contract: false });
    const train = TrainSpecSchema.parse(trainInput);
    const { jobId } = await json(
      await h.op('POST', '/v1/jobs', trainJobSpec('churn model', trainInput))
    );
    const runRound = (round: number, layoutHash: string, epsilon: number, values: bigint[]) =>
      runMaskedRound(h, keyId, three, { jobId, round, layoutHash, epsilon, values });
    const s = standardisationLayout(train);
    await runRound(0, s.hash, s.epsilonMicro / 1e6, [100n, 30n, 100n, 1638400n, 1638400n]);
    for (const r of [1, 2]) {
      const model = (await json(await h.op('GET', `/v1/jobs/${jobId}/result`))).model;
      const l = roundLayout(train, model.encoding, r - 1);
      // count, then a gradient/loss/histogram pattern; histogram halves differ so the AUC is defined.
      const v = Array.from({ length: l.length }, (_, i) => BigInt(((i * 37) % 11) * 500 + 200));
      v[0] = 80n;
      await runRound(r, l.hash, l.epsilonMicro / 1e6, v);
    }
    const res = jobResult(h.coordinator.ctx, jobId);
    expect(res.status).toBe('published');
    const history = res.model?.training.history ?? [];
    expect(history.map((x) => x.round)).toEqual([0, 1]);
    expect(history.every((x) => x.loss !== null && x.auc !== null)).toBe(true);

    const page = await b.get(`/console/jobs/${jobId}/result`);
    expect(page.status).toBe(200);
    expect(page.html).toMatch(
      /<svg class="chart"[^>]*aria-label="Training loss per round"[^>]*data-testid="result-chart"/
    );
    expect(page.html).toContain('<th scope="col">Round</th>');
    for (const x of history) {
      expect(page.html).toContain(
        `<tr><td>${x.round}</td><td class="num">${x.loss === null ? '-' : fmtNumber(x.loss)}</td><td class="num">${x.auc === null ? '-' : fmtNumber(x.auc)}</td>`
      );
    }
    expect(page.html).toMatch(/aria-label="Validation AUC per round"[^>]*data-testid="auc-chart"/);
    // Two rounds, two points per line; the AUC axis reaches below 0.5 when a noisy AUC does.
    expect([...page.html.matchAll(/<circle class="dot s0"/g)]).toHaveLength(4);
    expect(Math.min(...history.map((x) => x.auc as number))).toBeLessThan(0.5);
    expect(page.html).toMatch(/>0\.4<\/text>/);
    expect(page.html).toContain(`fedmark model export ${jobId} --out model.json`);
    // No per-cell bar charts for a model: its rounds are optimiser steps, not segment tables.
    expect(page.html).not.toContain('<g class="err-bar">');
  });
  it('shows a clv job as its fitted parameters with 95% intervals and their path over the Newton rounds', async () => {
    const three = nodes.slice(0, 3);
    const { h, b, keyId } = await operatorWithFederation(three);
    const { jobId } = await json(
      await h.op('POST', '/v1/jobs', {
        version: 1,
        kind: 'clv',
        name: 'clv by console',
        minNodes: 3,
        stragglerWaitMs: 0,
        clv: { calibrationEnd: '1997-09-30', rounds: { bgnbd: 2, gammaGamma: 2 } },
      })
    );
    for (const round of [0, 1, 2, 3]) {
      const rec = h.store.jobs.getRound(jobId, round);
      const q = ClvRoundQuerySchema.parse(rec?.query);
      const layout = clvQueryLayout(q);
      // Per node: gradient 1000 and information 10^4 x identity (far above the noise floor of
      // federated-step.ts clvFloor): summed over three nodes, a step of +0.1 per log-parameter.
      const values = new Array<bigint>(layout.length).fill(0n);
      const put = (block: Parameters<typeof clvBlock>[1], i: number, v: number) => {
        const x = clvBlock(layout, block);
        values[x.offset + i] = BigInt(Math.round(v * x.scale));
      };
      put('count', 0, 100);
      if (isClvStartRound(q.model, q.step)) {
        // Gamma-Gamma's start round: a mean log spend of 3 places its first Newton round.
        put('logspend', 0, 300);
      } else {
        put('loglik', 0, -50);
        const d = q.theta.length;
        for (let i = 0; i < d; i++) put('gradient', i, 1000);
        for (let i = 0, k = 0; i < d; i++)
          for (let j = i; j < d; j++) put('information', k++, i === j ? 10_000 : 0);
      }
      await runMaskedRound(h, keyId, three, {
        jobId,
        round,
        layoutHash: rec?.layoutHash ?? '',
        epsilon: q.epsilon,
        values,
      });
    }
    const res = jobResult(h.coordinator.ctx, jobId);
    expect(res.status).toBe('published');
    // Two BG/NBD steps from theta = 0 give e^0.2; Gamma-Gamma's one step moves its start by 0.1.
    expect(res.clvModel?.bgnbd.r).toBeCloseTo(Math.exp(0.2), 9);
    const start = clvStartTheta({ count: 300, logSpend: 900, logSpendNoiseVar: 0 });
    expect(res.clvModel?.gammaGamma.v).toBeCloseTo(Math.exp((start[2] as number) + 0.1), 9);

    const page = await b.get(`/console/jobs/${jobId}/result`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h2>CLV model &quot;clv by console&quot;</h2>');
    const last = (round: number, name: string) =>
      res.rounds[round]?.cells.find((c) => c.block.endsWith(':parameter') && c.labels[0] === name);
    for (const [round, name] of [
      [1, 'alpha'],
      [1, 'b'],
      [3, 'q'],
    ] as const) {
      const c = last(round, name);
      expect(c?.ci95[0]).toBeLessThan(c?.estimate as number);
      expect(page.html).toContain(
        `<tr><td>${name}</td><td class="num">${fmtNumber(c?.estimate as number)}</td><td class="num">${fmtInterval(c?.ci95 as [number, number])}</td></tr>`
      );
    }
    expect(page.html).toContain('Fitted parameters after Newton round 2');
    expect(page.html).toContain(`fedmark model export ${jobId} --out clv-model.json`);
    // BG/NBD moved over two rounds: a chart; Gamma-Gamma had one Newton round after its start.
    expect(page.html).toMatch(
      /aria-label="BG\/NBD \(purchase counts\): log-parameters per Newton round"[^>]*data-testid="clv-chart-bgnbd"/
    );
    expect(page.html).not.toContain('data-testid="clv-chart-gamma-gamma"');
    expect(page.html).not.toContain('<g class="err-bar">');
  });
});
