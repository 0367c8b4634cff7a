import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DELTA,
  TrainSpecSchema,
  applyUpdate,
  ownModelCheckLayout,
  rhoForEpsilon,
  roundLayout,
  standardisationFromAggregate,
  standardisationLayout,
  startingModel,
  type He,
  type Model,
} from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { resultText } from '../cli/render.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import {
  federation,
  harness,
  json,
  makeSubmission,
  specHashOf,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import { masked, setupRound, submitMasked, unmaskAndDecrypt } from './_secagg-testing.ts';
import { churnTrainInput, trainJobSpec } from './_train-testing.ts';

const nodes = [testNode('t1', 51), testNode('t2', 52), testNode('t3', 53)] as const;
const trainInput = churnTrainInput({ rounds: 1, contract: true });
const train = TrainSpecSchema.parse(trainInput);
const jobSpec = trainJobSpec('churn job', trainInput);

let he: He;
let keys: { secretKey: Uint8Array; publicKey: Uint8Array };
beforeAll(async () => {
  he = await heFor(DEFAULT_HE_PARAMS);
  keys = he.generateKeys();
});

/**
 * Every train round starts with its secure-aggregation setup phase: `n`'s only task is the setup
 * of the round; once every node sent one the round opens, and `n`'s task is the job_round task.
 */
async function openRound(h: Harness, jobId: string, round: number, n: TestNode) {
  expect(h.store.jobs.getRound(jobId, round)?.status).toBe('setup');
  expect((await json(await h.node(n, 'GET', '/v1/node/tasks'))).tasks).toEqual([
    expect.objectContaining({
      type: 'secagg_setup',
      jobId,
      round,
      participants: nodes.map((x) => x.name),
      threshold: 3,
      specHash: specHashOf(h, jobId, round),
    }),
  ]);
  await setupRound(h, nodes, jobId, round);
  expect(h.store.jobs.getRound(jobId, round)?.status).toBe('open');
  const tasks = (await json(await h.node(n, 'GET', '/v1/node/tasks'))).tasks;
  expect(tasks).toHaveLength(1);
  expect(tasks[0].secagg.adverts.map((a: { node: string }) => a.node)).toEqual(
    nodes.map((x) => x.name)
  );
  return tasks[0];
}

/**
 * Every node submits `values` masked, every node answers the unmask and the first two
 * decryptors answer with the masked sum; the round publishes the true sum, 3 x `values`.
 */
async function runRound(
  h: Harness,
  jobId: string,
  keyId: string,
  round: number,
  layoutHash: string,
  epsilon: number,
  values: bigint[]
): Promise<void> {
  await submitMasked(h, he, keys.secretKey, nodes, {
    jobId,
    round,
    keyId,
    layoutHash,
    values,
    epsilon,
  });
  expect(h.store.jobs.getRound(jobId, round)?.status).toBe('decrypting');
  const plain = await unmaskAndDecrypt(h, he, keys.secretKey, nodes, { jobId, round, layoutHash });
  // What the decryptors saw is masked; what the round published is the sum.
  const sum = values.map((v) => v * 3n);
  expect(plain).not.toEqual(sum);
  const published = h.store.jobs.getRound(jobId, round);
  expect(published?.status).toBe('published');
  expect(published?.result?.values).toEqual(sum.map(String));
}

describe('train job on the coordinator', () => {
  it('runs the standardisation phase, then a gradient round at the published model, and returns the final model', async () => {
    const h = harness({ heFor });
    const keyId = await federation(h, [...nodes], keys.publicKey);
    const created = await h.op('POST', '/v1/jobs', jobSpec);
    expect(created.status).toBe(201);
    const { jobId } = await json(created);

    // Round 0: the standardisation layout, nothing but the spec in the round query.
    const sLayout = standardisationLayout(train);
    const task0 = await openRound(h, jobId, 0, nodes[0]);
    expect(task0.spec.query).toMatchObject({
      kind: 'train_round',
      phase: 'standardisation',
      model: null,
      layoutHash: sLayout.hash,
      epsilon: sLayout.epsilonMicro / 1e6,
    });
    expect(task0.spec.query.train).toEqual(train);
    // count, positives, present, sum, sumsq (one numeric feature, fixed point 2^16) per node:
    // 100 customers, 30 positive, mean u = 0.25, mean u^2 = 0.25.
    const s0 = [100n, 30n, 100n, 1638400n, 1638400n];
    await runRound(h, jobId, keyId, 0, sLayout.hash, sLayout.epsilonMicro / 1e6, s0);
    const std = standardisationFromAggregate(
      train,
      sLayout,
      s0.map((v) => v * 3n)
    );
    const model0 = startingModel(train, std, {
      nodes: nodes.map((n) => n.name),
      noise: true,
      jobId,
    });
    const mid = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(mid.status).toBe('running');
    expect(mid.model).toEqual(model0);

    // Round 1: the model travels in the round query; the layout is derived from its encoding.
    const layout1 = roundLayout(train, model0.encoding, 0);
    const task1 = await openRound(h, jobId, 1, nodes[2]);
    expect(task1).toMatchObject({ type: 'job_round', jobId, round: 1 });
    expect(task1.spec.query).toMatchObject({
      kind: 'train_round',
      phase: 'gradient',
      layoutHash: layout1.hash,
      epsilon: layout1.epsilonMicro / 1e6,
    });
    expect(task1.spec.query.model).toEqual(model0);
    const v1 = Array.from({ length: layout1.length }, (_, i) => BigInt((i % 7) * 1000 - 2000));
    v1[0] = 80n; // count
    await runRound(h, jobId, keyId, 1, layout1.hash, layout1.epsilonMicro / 1e6, v1);
    const res = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(res.status).toBe('published');
    expect(res.kind).toBe('train');
    expect(res.rounds.map((r: { round: number }) => r.round)).toEqual([0, 1]);
    const variance = res.rounds[1].noiseVariance as number[];
    const expected: Model = applyUpdate(train, model0, {
      layout: layout1,
      values: v1.map((v) => v * 3n),
      variance,
      nodes: nodes.map((n) => n.name),
    });
    expect(res.model).toEqual(expected);
    expect(res.model.training.roundsDone).toBe(1);
    // Training defaults to distributed Gaussian noise: 3 shares, each sized for the threshold 3,
    // carry the central variance Delta^2 / (2 rho) of the count block (Delta = 1), with rho the
    // block's share of the job's rho at (epsilon, delta) (docs/privacy.md "Distributed noise").
    const count = layout1.blocks[0] as { sensitivity: bigint; epsilonMicro: number };
    expect(res.rounds[1].mechanism).toBe('distributed-gaussian');
    const jobRho = rhoForEpsilon(train.epsilon, DEFAULT_DELTA);
    const blockRho = (jobRho * count.epsilonMicro) / (train.epsilon * 1e6);
    expect(Number(count.sensitivity)).toBe(1);
    expect((variance[0] as number) / (1 / (2 * blockRho))).toBeCloseTo(1, 4);
    expect(res.rounds[1].rhoPerNode).toBeCloseTo(
      (jobRho * layout1.epsilonMicro) / (train.epsilon * 1e6),
      6
    );
  });

  it('with train.ownModelCheck, runs a check round at the final model and warns in the result when nodes answer 1', async () => {
    const h = harness({ heFor });
    const keyId = await federation(h, [...nodes], keys.publicKey);
    const checked = { ...trainInput, ownModelCheck: { epsilon: 1 } };
    const checkedTrain = TrainSpecSchema.parse(checked);
    const { jobId } = await json(await h.op('POST', '/v1/jobs', trainJobSpec('checked', checked)));
    const sLayout = standardisationLayout(checkedTrain);
    await openRound(h, jobId, 0, nodes[0]);
    const s0 = [100n, 30n, 100n, 1638400n, 1638400n];
    await runRound(h, jobId, keyId, 0, sLayout.hash, sLayout.epsilonMicro / 1e6, s0);
    const model0 = (await json(await h.op('GET', `/v1/jobs/${jobId}/result`))).model as Model;
    const layout1 = roundLayout(checkedTrain, model0.encoding, 0);
    await openRound(h, jobId, 1, nodes[0]);
    const v1 = Array.from({ length: layout1.length }, (_, i) => BigInt((i % 5) * 500 - 700));
    v1[0] = 80n;
    await runRound(h, jobId, keyId, 1, layout1.hash, layout1.epsilonMicro / 1e6, v1);

    // Training is done but the job is not: round 2 carries the final model to every node.
    const mid = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(mid.status).toBe('running');
    const final = mid.model as Model;
    expect(final.training.roundsDone).toBe(1);
    expect(resultText(mid)).not.toContain('own model');
    const check = ownModelCheckLayout(checkedTrain);
    const task2 = await openRound(h, jobId, 2, nodes[1]);
    expect(task2.spec.query).toMatchObject({
      kind: 'train_round',
      phase: 'check',
      layoutHash: check.hash,
      epsilon: 1,
    });
    expect(task2.spec.query.model).toEqual(final);
    // Every node answers 1: its own model did better on its own validation customers.
    await runRound(h, jobId, keyId, 2, check.hash, 1, [1n]);
    const res = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(res.status).toBe('published');
    expect(res.rounds[2].mechanism).toBe('distributed-laplace');
    const a = Math.exp(-1);
    // Three Polya shares sized for the threshold 3: the central discrete Laplace at epsilon 1.
    expect(res.rounds[2].noiseVariance[0]).toBeCloseTo((2 * a) / (1 - a) ** 2, 9);
    expect(res.model.training.ownModelCheck).toEqual({
      epsilonPerNode: 1,
      margin: 0.005,
      nodes: 3,
      count: 3,
      noiseStd: Math.sqrt((2 * a) / (1 - a) ** 2),
      falseAlarm: expect.closeTo(a / (1 + a), 9),
    });
    const { ownModelCheck: _c, ...training } = res.model.training;
    expect({ ...res.model, training }).toEqual(final);
    expect(resultText(res)).toContain(
      '  warning: 3 of 3 nodes report that their own model, fitted on their own training customers alone, scores better than this model on their own validation customers'
    );
  });

  it('says in the result that a job without the check did not compare with the nodes own models', async () => {
    const h = harness({ heFor });
    const keyId = await federation(h, [...nodes], keys.publicKey);
    const { jobId } = await json(await h.op('POST', '/v1/jobs', jobSpec));
    const sLayout = standardisationLayout(train);
    await openRound(h, jobId, 0, nodes[0]);
    await runRound(h, jobId, keyId, 0, sLayout.hash, sLayout.epsilonMicro / 1e6, [
      100n,
      30n,
      100n,
      1638400n,
      1638400n,
    ]);
    const model0 = (await json(await h.op('GET', `/v1/jobs/${jobId}/result`))).model as Model;
    const layout1 = roundLayout(train, model0.encoding, 0);
    await openRound(h, jobId, 1, nodes[0]);
    const v1 = new Array<bigint>(layout1.length).fill(10n);
    await runRound(h, jobId, keyId, 1, layout1.hash, layout1.epsilonMicro / 1e6, v1);
    const res = await json(await h.op('GET', `/v1/jobs/${jobId}/result`));
    expect(res.status).toBe('published');
    expect(res.rounds).toHaveLength(2);
    expect(resultText(res)).toContain("  note: not compared with the nodes' own models");
  });

  it('refuses a submission whose enforced epsilon is not the round epsilon', async () => {
    const h = harness({ heFor });
    const keyId = await federation(h, [...nodes], keys.publicKey);
    const { jobId } = await json(await h.op('POST', '/v1/jobs', jobSpec));
    await setupRound(h, nodes, jobId, 0);
    const sLayout = standardisationLayout(train);
    const sub = makeSubmission(he, keys.secretKey, nodes[0], {
      jobId,
      round: 0,
      keyId,
      layoutHash: sLayout.hash,
      specHash: specHashOf(h, jobId, 0),
      values: masked(h, nodes[0], jobId, 0, [1n, 1n, 1n, 1n, 1n]),
      epsilon: 0.5,
    });
    const res = await h.node(nodes[0], 'POST', `/v1/node/jobs/${jobId}/rounds/0/submission`, sub);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await json(res))).toContain(
      `enforced.epsilon 0.5 differs from the round's ${sLayout.epsilonMicro / 1e6}`
    );
  });

  it("refuses a job whose minNodes is below the model spec's", async () => {
    const h = harness({ heFor });
    await federation(h, [...nodes], keys.publicKey);
    const res = await h.op('POST', '/v1/jobs', {
      ...jobSpec,
      train: { ...trainInput, minNodes: 4 },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await json(res))).toContain(
      "minNodes 3 is below the model spec's train.minNodes 4"
    );
  });
});
