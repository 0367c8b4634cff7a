import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import {
  PolicySchema,
  TrainRoundQuerySchema,
  TrainSpecSchema,
  roundLayout,
  standardisationFromAggregate,
  standardisationLayout,
  startingModel,
  ownModelCheckLayout,
  withVector,
  type Policy,
  type TrainRoundQuery,
} from '@fedmark/protocol';
import { hexToBytes } from '@fedmark/protocol';
import { initNode, loadIdentity, pseudonymFor, type NodeIdentity } from '../identity/index.ts';
import { listLedger } from '../ledger/index.ts';
import { releaseNonMembership } from '../release/index.ts';
import { importCsv } from '../importing/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { jobSpend } from '../privacy/budget.ts';
import {
  localRoundVector,
  localStandardisationVector,
  ownModelComparison,
} from '../training/index.ts';
import { releaseTrainRound, trainingRows } from './train-round.ts';

let root: string;
let db: Database.Database;
let id: NodeIdentity;

const train = TrainSpecSchema.parse({
  version: 1,
  kind: 'train',
  purpose: 'model_training',
  table: 'churn',
  label: { column: 'churn', positive: 'Yes' },
  features: [
    { type: 'numeric', column: 'tenure', lower: 0, upper: 72 },
    { type: 'categorical', column: 'contract', categories: ['Monthly', 'Yearly'] },
  ],
  rounds: 2,
  optimiser: { kind: 'gd', learningRate: 4 },
  clipNorm: 1,
  epsilon: 1,
  minNodes: 3,
  validation: { fraction: 0.3, seed: 3 },
});
const sLayout = standardisationLayout(train);
const query0: TrainRoundQuery = TrainRoundQuerySchema.parse({
  kind: 'train_round',
  name: 'std',
  purpose: 'model_training',
  epsilon: sLayout.epsilonMicro / 1e6,
  phase: 'standardisation',
  train,
  model: null,
  layoutHash: sLayout.hash,
});
// 30 eligible rows, under the default minRowsPerJob.train: the rule has its own tests
// (train-min-rows.test.ts), these are about the release itself.
const exactPolicy: Policy = PolicySchema.parse({
  testOnlyAllowNoiseOff: true,
  minRowsPerJob: { train: 0 },
});

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'train-round-'));
  const dir = join(root, 'node');
  await initNode({ dir, name: 'n' });
  id = loadIdentity(dir);
  db = openNodeDatabase(dir);
  const rows = ['customer_id,churn,tenure,contract'];
  for (let i = 0; i < 40; i++)
    rows.push(
      `C${i},${i % 3 === 0 ? 'Yes' : 'No'},${(i * 7) % 72},${i % 2 ? 'Monthly' : 'Yearly'}`
    );
  const file = join(root, 'churn.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  // Only C0..C29 get a lawful basis for model_training: C30..C39 must not count.
  const lawful = join(root, 'lawful.csv');
  writeFileSync(lawful, `${rows.slice(0, 31).join('\n')}\n`);
  await importCsv(db, id, { kind: 'table', table: 'churn', file, lawfulBasis: [] });
  await importCsv(db, id, {
    kind: 'table',
    table: 'churn',
    file: lawful,
    lawfulBasis: [{ purpose: 'model_training', basis: 'contract' }],
  });
});
afterAll(() => {
  db.close();
  rmSync(root, { recursive: true, force: true });
});

describe('releaseTrainRound', () => {
  it('reads only customers with model_training consent in force', () => {
    const rows = trainingRows(db, train);
    expect(rows.map((r) => r.customerId).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `C${i}`).sort()
    );
  });

  it('releases the standardisation phase through the release path: exact without noise, charged once, idempotent', () => {
    const req = {
      jobId: 'j-std',
      round: 0,
      query: query0,
      noise: 'off-test-only' as const,
      minNodes: 3,
    };
    const r = releaseTrainRound({ db, identity: id, policy: exactPolicy }, req);
    expect(r.values).toEqual(localStandardisationVector(train, trainingRows(db, train)).values);
    expect(r.values[0]).toBe(30n);
    expect(r.layoutHash).toBe(sLayout.hash);
    expect(jobSpend(db, 'j-std').pureMicro).toBe(sLayout.epsilonMicro);
    const again = releaseTrainRound({ db, identity: id, policy: exactPolicy }, req);
    expect(again.reused).toBe(true);
    expect(jobSpend(db, 'j-std').pureMicro).toBe(sLayout.epsilonMicro);
  });

  it('commits each train release to the consenting customers it read, so an erased one can be shown absent', () => {
    releaseTrainRound(
      { db, identity: id, policy: exactPolicy },
      { jobId: 'j-units', round: 0, query: query0, noise: 'off-test-only', minNodes: 3 }
    );
    const entry = listLedger(db, { type: 'release' }).find((e) => e.body['jobId'] === 'j-units');
    expect(entry?.body['unitsCount']).toBe(30);
    expect(entry?.body['unitsRoot']).toMatch(/^[0-9a-f]{64}$/);
    const seq = entry?.seq ?? -1;
    // C0 consented and was read: no non-membership proof exists. C35 had no model_training basis.
    expect(releaseNonMembership(db, seq, hexToBytes(pseudonymFor(id, 'C0')))).toBeNull();
    expect(releaseNonMembership(db, seq, hexToBytes(pseudonymFor(id, 'C35')))).not.toBeNull();
  });

  it('releases a gradient round at the carried model; the validation histograms cost nothing extra (parallel composition)', () => {
    const std = standardisationFromAggregate(
      train,
      sLayout,
      localStandardisationVector(train, trainingRows(db, train)).values.map((v) => v * 3n)
    );
    const model = startingModel(train, std, { nodes: [], noise: false });
    const layout = roundLayout(train, model.encoding, 0);
    const q = TrainRoundQuerySchema.parse({
      ...query0,
      phase: 'gradient',
      model,
      layoutHash: layout.hash,
      epsilon: layout.epsilonMicro / 1e6,
    });
    const r = releaseTrainRound(
      { db, identity: id, policy: exactPolicy },
      { jobId: 'j-grad', round: 1, query: q, noise: 'off-test-only', minNodes: 3 }
    );
    expect(r.values).toEqual(localRoundVector(train, model, trainingRows(db, train)).values);
    expect(jobSpend(db, 'j-grad').pureMicro).toBe(layout.epsilonMicro);
    // With noise on, the histograms are noised by the release path at the round's epsilon
    // (sensitivity 1: scale 1/epsilon, variance 2a/(1-a)^2 with a = exp(-epsilon)), and the
    // ledger records their partition beside the training blocks'.
    const noisy = releaseTrainRound(
      { db, identity: id, policy: PolicySchema.parse({ minRowsPerJob: { train: 0 } }) },
      { jobId: 'j-grad-dp', round: 1, query: q, noise: 'on', minNodes: 3 }
    );
    const evalPos = layout.blocks.find((b) => b.name === 'eval_pos') as { offset: number };
    const a = Math.exp(-layout.epsilonMicro / 1e6);
    expect(noisy.variance[evalPos.offset]).toBeCloseTo((2 * a) / (1 - a) ** 2, 6);
    expect(noisy.variance.every((v) => v > 0)).toBe(true);
    expect(jobSpend(db, 'j-grad-dp').pureMicro).toBe(layout.epsilonMicro);
    const scales = listLedger(db, { type: 'release' }).find((e) => e.body['jobId'] === 'j-grad-dp')
      ?.body['noiseScales'] as { block: string; partition?: string }[];
    expect(scales.map((x) => `${x.block}:${x.partition}`)).toEqual([
      'count:training',
      'loss:training',
      'gradient:training',
      'eval:validation',
    ]);
  });

  it('refuses a round whose layout hash it cannot reproduce, and a spent budget, before reading data', () => {
    const bad = { ...query0, layoutHash: 'ab'.repeat(32) };
    expect(() =>
      releaseTrainRound(
        { db, identity: id, policy: exactPolicy },
        { jobId: 'j-bad', round: 0, query: bad, noise: 'off-test-only', minNodes: 3 }
      )
    ).toThrow(expect.objectContaining({ code: 'LAYOUT_MISMATCH' }));
    const tiny = PolicySchema.parse({
      budgets: [{ purpose: 'model_training', period: 'month', epsilon: 0.01 }],
    });
    expect(() =>
      releaseTrainRound(
        { db, identity: id, policy: tiny },
        { jobId: 'j-poor', round: 0, query: query0, noise: 'on', minNodes: 3 }
      )
    ).toThrow(expect.objectContaining({ code: 'BUDGET_EXCEEDED' }));
    expect(jobSpend(db, 'j-poor').pureMicro).toBe(0);
  });

  it('answers the own-model check at the final model: one bit, charged as pure epsilon, its exact comparison in the ledger', () => {
    const checked = TrainSpecSchema.parse({ ...train, ownModelCheck: { epsilon: 0.5 } });
    const std = standardisationFromAggregate(
      checked,
      sLayout,
      localStandardisationVector(checked, trainingRows(db, checked)).values
    );
    const start = startingModel(checked, std, { nodes: [], noise: false });
    const final = {
      ...withVector(start, [0.2, -0.9, 0.4, -0.4, 0]),
      training: { ...start.training, roundsDone: checked.rounds },
    };
    const layout = ownModelCheckLayout(checked);
    const q = TrainRoundQuerySchema.parse({
      ...query0,
      train: checked,
      phase: 'check',
      model: final,
      layoutHash: layout.hash,
      epsilon: 0.5,
    });
    const expected = ownModelComparison(checked, final, trainingRows(db, checked));
    expect(expected.notCompared).toBeNull();
    const req = {
      jobId: 'j-check',
      round: 3,
      query: q,
      noise: 'off-test-only' as const,
      minNodes: 3,
    };
    const r = releaseTrainRound({ db, identity: id, policy: exactPolicy }, req);
    expect(r.values).toEqual([expected.better ? 1n : 0n]);
    expect(jobSpend(db, 'j-check')).toMatchObject({ pureMicro: 500_000, gaussianRhoPico: 0n });
    const entries = () =>
      listLedger(db, { type: 'model_check' }).filter((e) => e.body['jobId'] === 'j-check');
    expect(entries()).toHaveLength(1);
    expect(entries()[0]?.body).toMatchObject({
      round: 3,
      ownModelBetter: expected.better,
      margin: 0.005,
      trainingRows: expected.trainingRows,
      validationPositives: expected.validationPositives,
      validationNegatives: expected.validationNegatives,
    });
    // Re-sent after a crash: the stored release, no second charge, no second record.
    expect(releaseTrainRound({ db, identity: id, policy: exactPolicy }, req).reused).toBe(true);
    expect(entries()).toHaveLength(1);
    expect(jobSpend(db, 'j-check').pureMicro).toBe(500_000);

    // With noise, under secure aggregation: this node's Polya share of the central discrete
    // Laplace of scale 1/0.5, whatever the mechanism that trained the model.
    const noisy = releaseTrainRound(
      { db, identity: id, policy: PolicySchema.parse({ minRowsPerJob: { train: 0 } }) },
      {
        ...req,
        jobId: 'j-check-dp',
        noise: 'on',
        roundNoise: { mechanism: 'distributed-laplace', contributors: 3 },
        secureAggregation: { threshold: 3 },
      }
    );
    const a = Math.exp(-0.5);
    expect(noisy.variance[0]).toBeCloseTo((2 * a) / (1 - a) ** 2 / 3, 9);
    const rel = listLedger(db, { type: 'release' }).find((e) => e.body['jobId'] === 'j-check-dp');
    expect(rel?.body).toMatchObject({ mechanism: 'distributed-laplace', shareContributors: 3 });

    // Only the round after the last optimiser round, at a model that finished training.
    const early = { ...final, training: { ...final.training, roundsDone: 1 } };
    expect(() =>
      releaseTrainRound(
        { db, identity: id, policy: exactPolicy },
        { ...req, jobId: 'j-check-early', query: { ...q, model: early } }
      )
    ).toThrow('the own-model check carries a model after 1 rounds, expected 2');
    expect(() =>
      releaseTrainRound(
        { db, identity: id, policy: exactPolicy },
        { ...req, jobId: 'j-check-r2', round: 2 }
      )
    ).toThrow('the own-model check is round 3 at the final model, not round 2');
  });

  it('refuses a table the node does not have, naming it', () => {
    const other = TrainSpecSchema.parse({ ...train, table: 'nope' });
    expect(() => trainingRows(db, other)).toThrow('this node has no feature table "nope" (table)');
  });
});
