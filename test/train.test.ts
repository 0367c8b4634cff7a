import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DELTA,
  TrainSpecSchema,
  addSpend,
  auc,
  roundSpend,
  spendEpsilonMicro,
  trainEpsilonPlan,
  unitNoiseOf,
  modelFromJson,
  ownModelCheckLine,
  scoreRow,
  type JobResult,
  type Model,
} from '@fedmark/protocol';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import {
  CHURN_PAYMENT,
  churnTestAuc,
  churnTrainSpec,
  loadChurn,
  stratifiedChurnSplit,
} from './support/churn.ts';
import { runFedmark } from '../packages/coordinator/src/simulate/processes.ts';
import {
  simulateTraining,
  type OwnModelComparison,
  type SimNode,
  type TrainingRow,
} from '../packages/node/src/training/index.ts';

/**
 * Joint model training end to end (docs/models.md §9): a `train` job over real processes on
 * loopback (coordinator + 4 nodes, BFV aggregation, threshold-free decryption by contributors).
 * wa_churn.csv (the 11 rows without total_charges dropped), 70/30 split stratified on churn with a
 * seeded hash order, training part split into 4 nodes by payment_method and imported as feature
 * table `churn`.
 */
const PAYMENT = CHURN_PAYMENT;
const NODE_NAMES = ['echeck', 'mailed', 'transfer', 'card'];
const trainSpec = churnTrainSpec;

function writeNodeCsv(path: string, head: string[], rows: readonly TrainingRow[]): void {
  const q = (v: string): string => (/^-?[0-9.]+$/.test(v) ? v : `"${v}"`);
  const lines = [
    ['customer_id', ...head].join(','),
    ...rows.map((r) => [r.customerId, ...head.map((h) => q(String(r.values[h])))].join(',')),
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
}

describe('train job end to end: federated logistic regression over real processes', () => {
  let workdir: string;
  let fed: LocalFederation;
  let split: { train: TrainingRow[]; test: TrainingRow[] };
  let simNodes: SimNode[];
  let exact: JobResult;
  let exactSeconds = 0;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fedmark-train-'));
    const { head, rows } = loadChurn();
    split = stratifiedChurnSplit(rows);
    mkdirSync(join(workdir, 'data'));
    simNodes = PAYMENT.map((pm, i) => ({
      id: NODE_NAMES[i] as string,
      rows: split.train.filter((r) => r.values['payment_method'] === pm),
    }));
    fed = new LocalFederation({
      workdir,
      allowNoiseOff: true,
      nodes: simNodes.map((n) => {
        const path = join(workdir, 'data', `${n.id}.csv`);
        writeNodeCsv(path, head, n.rows);
        return {
          name: n.id,
          data: {
            files: [{ kind: 'table' as const, path, table: 'churn', idColumn: 'customer_id' }],
            lawfulBasis: ['model_training=contract'],
          },
        };
      }),
    });
    await fed.start();
    // Timed from job creation: includes waiting for the key ceremony of the fresh federation.
    const t0 = performance.now();
    const jobId = await fed.operator.createJob({
      version: 1,
      kind: 'train',
      name: 'churn exact',
      noise: 'off-test-only',
      stragglerWaitMs: 10_000,
      minNodes: 3,
      train: trainSpec({}),
    });
    await fed.operator.waitForJob(jobId, { timeoutMs: 90_000 });
    exactSeconds = (performance.now() - t0) / 1000;
    exact = await fed.operator.result(jobId);
  }, 180_000);

  afterAll(async () => {
    await fed?.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('runs the standardisation phase and 4 gradient rounds with all four nodes', () => {
    expect(exact.status).toBe('published');
    expect(exact.kind).toBe('train');
    expect(exact.rounds.map((r) => r.round)).toEqual([0, 1, 2, 3, 4]);
    expect(
      exact.rounds.every((r) => r.contributingNodes.length === 4 && r.noise === 'off-test-only')
    ).toBe(true);
    expect(exact.model?.training.roundsDone).toBe(4);
    expect(exact.model?.training.history.map((h) => h.count)).toEqual([4922, 4922, 4922, 4922]);
    console.log(
      `train job (noise off, 4 nodes, 5 rounds, incl. key ceremony wait): ${exactSeconds.toFixed(1)} s`
    );
  });

  it('equals the in-process simulation on the same split within fixed-point rounding, and reaches test AUC >= 0.839', () => {
    const reference = simulateTraining(TrainSpecSchema.parse(trainSpec({})), simNodes, {
      noise: false,
    });
    const model = exact.model as Model;
    expect(model.intercept).toBeCloseTo(reference.intercept, 9);
    expect(Object.keys(model.weights).sort()).toEqual(Object.keys(reference.weights).sort());
    for (const [name, w] of Object.entries(reference.weights))
      expect(model.weights[name]).toBeCloseTo(w, 9);
    expect(model.encoding).toEqual(reference.encoding);
    const a = churnTestAuc(model, split.test);
    console.log(`federated test AUC (noise off): ${a.toFixed(4)}`);
    expect(a).toBeGreaterThanOrEqual(0.839);
  });

  it("exports the model file with the CLI, and scores a CSV and a node's own customers with it", async () => {
    const token = readFileSync(join(fed.coordinatorDir, 'operator.token'), 'utf8').trim();
    const modelFile = join(workdir, 'model.json');
    await runFedmark([
      'model',
      'export',
      exact.jobId,
      '--out',
      modelFile,
      '--coordinator',
      fed.coordinatorUrl,
      '--token',
      token,
      '--tls-fingerprint',
      fed.tlsFingerprint,
    ]);
    const model = modelFromJson(readFileSync(modelFile, 'utf8'), modelFile);
    expect(model).toEqual(exact.model);

    const { head } = loadChurn();
    const testCsv = join(workdir, 'test.csv');
    writeNodeCsv(testCsv, head, split.test);
    const scoresCsv = join(workdir, 'scores.csv');
    await runFedmark([
      'model',
      'score',
      '--model',
      modelFile,
      '--file',
      testCsv,
      '--out',
      scoresCsv,
    ]);
    const lines = readFileSync(scoresCsv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('customer_id,score');
    expect(lines).toHaveLength(split.test.length + 1);
    const byId = new Map(
      lines.slice(1).map((l) => [l.split(',')[0] as string, Number(l.split(',')[1])])
    );
    for (const r of split.test.slice(0, 50))
      expect(byId.get(r.customerId)).toBeCloseTo(scoreRow(model, r.values), 12);
    const a = auc(
      [...split.test.map((r) => byId.get(r.customerId) as number)],
      split.test.map((r) => (r.values['churn'] === 'Yes' ? 1 : 0))
    );
    expect(a).toBeCloseTo(churnTestAuc(model, split.test), 12);

    const bad = join(workdir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...model, weights: {} }));
    await expect(
      runFedmark(['model', 'score', '--model', bad, '--file', testCsv, '--out', scoresCsv])
    ).rejects.toThrow(
      /exited 23: error \[BAD_REQUEST\]: .*bad\.json: invalid model: weights\.female: missing weight for encoded column "female"/
    );

    const card = fed.node('card');
    const nodeScores = join(workdir, 'card-scores.csv');
    const out = await runFedmark([
      'node',
      'score',
      '--dir',
      card.dir,
      '--model',
      modelFile,
      '--purpose',
      'model_training',
      '--out',
      nodeScores,
      '--json',
    ]);
    const cardRows = simNodes[3]?.rows ?? [];
    expect(JSON.parse(out.stdout)).toEqual({
      table: 'churn',
      rows: cardRows.length,
      out: nodeScores,
    });
    const own = new Map(
      readFileSync(nodeScores, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => [l.split(',')[0] as string, Number(l.split(',')[1])])
    );
    for (const r of cardRows.slice(0, 50))
      expect(own.get(r.customerId)).toBeCloseTo(scoreRow(model, r.values), 12);
  }, 60_000);

  it('with DP, a node whose model_training budget runs out mid-training refuses and the job finishes with the quorum', async () => {
    // The last node's budget covers what it already spent (the exact job, epsilon 1 at delta
    // 1e-7), phase 1 and one round of this job, not a second round. Training defaults to
    // distributed Gaussian noise, so the charges are rho, read at the policy's delta
    // (docs/privacy.md "Accounting in rho and epsilon"); threshold 3 of 4 participants.
    const spec = TrainSpecSchema.parse(trainSpec({ validation: { fraction: 0.2, seed: 7 } }));
    const plan = trainEpsilonPlan(spec);
    const noise = unitNoiseOf(
      { mechanism: 'distributed-gaussian', delta: DEFAULT_DELTA },
      spec.epsilon,
      3
    );
    const phase1 = roundSpend(noise, plan.standardisationMicro);
    const round = roundSpend(noise, plan.perRoundMicro);
    const exactJob = addSpend(phase1, ...new Array(spec.rounds).fill(round));
    const upToRound1 = addSpend(exactJob, phase1, round);
    const capMicro = spendEpsilonMicro(upToRound1, DEFAULT_DELTA) + 1;
    expect(spendEpsilonMicro(addSpend(upToRound1, round), DEFAULT_DELTA)).toBeGreaterThan(capMicro);
    const card = fed.node('card');
    const policy = JSON.parse(readFileSync(join(card.dir, 'policy.json'), 'utf8')) as {
      budgets: { purpose: string }[];
    };
    const budgets = [
      ...policy.budgets.filter((b) => b.purpose !== 'model_training'),
      { purpose: 'model_training', period: 'month', epsilon: capMicro / 1e6 },
    ];
    const file = join(workdir, 'card-policy.json');
    writeFileSync(file, JSON.stringify({ ...policy, budgets }));
    await runFedmark(['node', 'policy', 'set', '--dir', card.dir, '--file', file]);
    const t0 = performance.now();
    const jobId = await fed.operator.createJob({
      version: 1,
      kind: 'train',
      name: 'churn dp',
      stragglerWaitMs: 10_000,
      minNodes: 3,
      train: trainSpec({ validation: { fraction: 0.2, seed: 7 } }),
    });
    const status = await fed.operator.waitForJob(jobId, { timeoutMs: 90_000 });
    const seconds = (performance.now() - t0) / 1000;
    const res = await fed.operator.result(jobId);
    expect(status.status).toBe('published');
    expect(res.rounds.map((r) => r.contributingNodes.length)).toEqual([4, 4, 3, 3, 3]);
    expect(res.rounds[2]?.contributingNodes).toEqual(['echeck', 'mailed', 'transfer']);
    const refusal = status.rounds[2]?.nodes.find((n) => n.name === 'card');
    expect(refusal?.state).toBe('refused');
    expect(refusal?.reason).toMatch(/^BUDGET_EXCEEDED: /);
    const model = res.model as Model;
    expect(model.training.noise).toBe(true);
    expect(model.training.history).toHaveLength(4);
    // The validation histograms give a (noisy) AUC per round.
    expect(model.training.history.every((h) => h.auc !== null && h.auc >= 0 && h.auc <= 1)).toBe(
      true
    );
    console.log(
      `DP train job (epsilon 1, budget refusal from round 2): ${seconds.toFixed(1)} s, test AUC ${churnTestAuc(model, split.test).toFixed(4)}`
    );
  }, 120_000);

  it('with train.ownModelCheck, each node answers its bit in a check round at the final model, keeps the exact comparison in its ledger, and the result carries the count', async () => {
    // Without card, whose budget the test above spent; noise off, so the count is the exact sum
    // of the bits and the in-process simulation on the same rows gives the same ones.
    const three = ['echeck', 'mailed', 'transfer'];
    const spec = trainSpec({
      rounds: 2,
      validation: { fraction: 0.2, seed: 7 },
      ownModelCheck: { epsilon: 1 },
    });
    const jobId = await fed.operator.createJob({
      version: 1,
      kind: 'train',
      name: 'churn checked',
      noise: 'off-test-only',
      stragglerWaitMs: 10_000,
      minNodes: 3,
      nodes: three,
      train: spec,
    });
    const status = await fed.operator.waitForJob(jobId, { timeoutMs: 90_000 });
    const res = await fed.operator.result(jobId);
    expect(status.status).toBe('published');
    expect(res.rounds.map((r) => r.round)).toEqual([0, 1, 2, 3]);
    expect(res.rounds[3]?.interpretation).toMatchObject({ phase: 'check' });
    expect(res.rounds[3]?.mechanism).toBe('distributed-laplace');
    const local: Record<string, OwnModelComparison> = {};
    simulateTraining(
      TrainSpecSchema.parse(spec),
      simNodes.filter((n) => three.includes(n.id)),
      {
        noise: false,
        onOwnModelCheck: (node, c) => {
          local[node] = c;
        },
      }
    );
    let better = 0;
    for (const name of three) {
      const out = await runFedmark([
        'node',
        'ledger',
        '--dir',
        fed.node(name).dir,
        '--type',
        'model_check',
        '--json',
      ]);
      const entries = (
        JSON.parse(out.stdout) as { entries: { body: Record<string, unknown> }[] }
      ).entries.filter((e) => e.body['jobId'] === jobId);
      expect(entries).toHaveLength(1);
      const body = entries[0]?.body ?? {};
      const c = local[name] as OwnModelComparison;
      expect(body['round']).toBe(3);
      expect(body['ownModelBetter']).toBe(c.better);
      expect(body['ownAuc']).toBeCloseTo(c.ownAuc, 5);
      expect(body['federatedAuc']).toBeCloseTo(c.federatedAuc, 5);
      if (c.better) better++;
    }
    const model = res.model as Model;
    expect(model.training.ownModelCheck).toMatchObject({ nodes: 3, count: better, noiseStd: 0 });
    expect(ownModelCheckLine(model)).toMatch(
      better >= 1 ? `warning: ${better} of 3 nodes report` : /^own-model check: 0 of 3 nodes/
    );
    console.log(
      `own-model check (noise off, 3 nodes): ${three.map((n) => `${n} ${local[n]?.ownAuc.toFixed(3)} vs ${local[n]?.federatedAuc.toFixed(3)}${local[n]?.better ? ' (better)' : ''}`).join(', ')}`
    );
  }, 120_000);
});
