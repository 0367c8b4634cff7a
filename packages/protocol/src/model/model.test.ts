import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.ts';
import { auc, aucFromHistograms } from './auc.ts';
import {
  encodedNames,
  encodingOf,
  encodeRow,
  standardisationFromResult,
  standardisationQuery,
} from './feature-encoding.ts';
import { layoutOf } from '../layout.ts';
import { SegmentQuerySchema } from '../schemas/segment-query.ts';
import { initialModel, modelFromJson, modelToJson, scoreRow, withVector } from './model-format.ts';
import { roundLayout, trainEpsilonPlan } from './round-layout.ts';
import { checkTrainColumns, TrainSpecSchema, type TrainSpecInput } from './train-spec.ts';
import { SMALL_TRAIN_SPEC } from './_train-spec-testing.ts';

const BASE: TrainSpecInput = {
  ...SMALL_TRAIN_SPEC,
  rounds: 4,
  optimiser: { kind: 'gd', learningRate: 2 },
  clipNorm: 1,
  minNodes: 3,
};

const issues = (input: unknown): string[] => {
  const r = TrainSpecSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('TrainSpecSchema', () => {
  it('accepts a valid spec and fills defaults', () => {
    const s = TrainSpecSchema.parse(BASE);
    expect(s.l2).toBe(1);
    expect(s.validation).toEqual({ fraction: 0.2, seed: 0 });
    expect(s.optimiser).toEqual({ kind: 'gd', learningRate: 2, momentum: 0.5 });
  });
  it('names missing bounds, empty categories, duplicates, purpose and minNodes', () => {
    expect(
      issues({ ...BASE, features: [{ type: 'numeric', column: 'tenure', lower: 0 }] })
    ).toEqual([
      'features.0.upper: numeric feature needs finite clipping bounds "lower" and "upper"',
    ]);
    expect(
      issues({ ...BASE, features: [{ type: 'categorical', column: 'c', categories: [] }] })
    ).toEqual(['features.0.categories: category list is empty: declare at least one category']);
    expect(
      issues({
        ...BASE,
        features: [...BASE.features, { type: 'numeric', column: 'tenure', lower: 0, upper: 1 }],
      })
    ).toEqual(['features.2.column: column "tenure" is used twice (features[0] and features[2])']);
    expect(
      issues({
        ...BASE,
        features: [{ type: 'categorical', column: 'c', categories: ['a', 'a', '__other__'] }],
      })
    ).toEqual([
      'features.0.categories.1: category "a" declared twice',
      'features.0.categories.2: "__other__" is added automatically; do not declare it',
    ]);
    expect(issues({ ...BASE, purpose: 'marketing' })).toEqual([
      'purpose: purpose of a train job must be "model_training"',
    ]);
    expect(issues({ ...BASE, minNodes: 2 })).toEqual([
      'minNodes: minNodes must be at least 3: fewer would expose a single node',
    ]);
    expect(
      issues({ ...BASE, features: [{ type: 'numeric', column: 'x', lower: 5, upper: 5 }] })
    ).toEqual(['features.0.upper: upper must be greater than lower']);
    expect(issues({ ...BASE, label: { column: 'tenure', positive: 'Yes' } })).toEqual([
      'features.0.column: column "tenure" is used twice (label and features[0])',
    ]);
  });
});

describe('checkTrainColumns', () => {
  it('names each unknown column and where the spec uses it', () => {
    const s = TrainSpecSchema.parse(BASE);
    expect(() => checkTrainColumns(s, ['churn', 'tenure', 'contract'])).not.toThrow();
    expect(() => checkTrainColumns(s, ['tenure'])).toThrow(
      expect.objectContaining({
        code: 'BAD_REQUEST',
        message:
          'table "customers" has no column "churn" (label.column), "contract" (features.1.column)',
      })
    );
  });
});

describe('encoding and epsilon plan', () => {
  const spec = TrainSpecSchema.parse(BASE);
  const enc = encodingOf(spec, { means: { tenure: 36 }, stds: { tenure: 12 } });
  it('clips, standardises and one-hot encodes with __other__ for undeclared or missing values', () => {
    expect(encodedNames(enc)).toEqual([
      '(intercept)',
      'tenure',
      'contract=Monthly',
      'contract=Yearly',
      'contract=__other__',
    ]);
    expect(Array.from(encodeRow(enc, { tenure: '48', contract: 'Yearly' }))).toEqual([
      1, 1, 0, 1, 0,
    ]);
    expect(Array.from(encodeRow(enc, { tenure: 500, contract: 'Weekly' }))).toEqual([
      1, 3, 0, 0, 1,
    ]);
    expect(Array.from(encodeRow(enc, { tenure: null }))).toEqual([1, 0, 0, 0, 1]);
  });
  it('derives means/stds from noisy sums, clamping into the bounds', () => {
    // scale for [0, 72] is round(1000/72) = 14; 10 rows with mean 30 and variance 100.
    const std = standardisationFromResult(spec, {
      count: 10,
      sums: { 'table.customers.tenure': 300 * 14 },
      sumsq: { 'table.customers.tenure': 10000 * 196 },
    });
    expect(std.means['tenure']).toBeCloseTo(30, 9);
    expect(std.stds['tenure']).toBeCloseTo(10, 9);
    const neg = standardisationFromResult(spec, {
      count: 10,
      sums: { 'table.customers.tenure': -5 },
      sumsq: { 'table.customers.tenure': -9 },
    });
    expect(neg).toEqual({ means: { tenure: 0 }, stds: { tenure: 9 } });
  });
  it('expresses phase 1 as a valid segment query with no dimensions and squared measures', () => {
    const q = SegmentQuerySchema.parse(
      standardisationQuery(spec, { asOf: '2026-01-01', epsilon: 0.1 })
    );
    expect(q.measures).toEqual([
      {
        field: 'table.customers.tenure',
        lower: 0,
        upper: 72,
        scale: 14,
        squares: true,
        squareScale: 14,
      },
    ]);
    expect(layoutOf(q).blocks.map((b) => b.name)).toEqual([
      'count',
      'total',
      'sum:table.customers.tenure',
      'sumsq:table.customers.tenure',
    ]);
  });
  it('splits epsilon exactly: standardisation + rounds, blocks summing to the round share', () => {
    const plan = trainEpsilonPlan(spec);
    expect(plan).toEqual({
      totalMicro: 1_000_000,
      standardisationMicro: 100_000,
      perRoundMicro: 225_000,
    });
    const layout = roundLayout(spec, enc, 0);
    const train = layout.blocks.filter((b) => !b.name.startsWith('eval'));
    expect(train.reduce((s, b) => s + b.epsilonMicro, 0)).toBe(225_000);
    expect(layout.blocks.map((b) => b.name)).toEqual([
      'count',
      'loss',
      'gradient',
      'eval_pos',
      'eval_neg',
    ]);
    // k = 3 non-zeros; L1 <= min(sqrt(3) * 1, B1 = 1 + 3 + 1) at scale 2^16, plus 3/2 for rounding.
    expect(train[2]?.sensitivity).toBe(BigInt(Math.ceil(Math.sqrt(3) * 65536 + 1.5)));
    expect(() => roundLayout(spec, enc, 4)).toThrow(RangeError);
  });
});

describe('auc', () => {
  it('counts ties as one half', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([1, 2, 2, 3], [0, 0, 1, 1])).toBe(0.875);
    expect(auc([3, 2, 1], [0, 1, 1])).toBe(0);
    expect(() => auc([1, 2], [1, 1])).toThrow(RangeError);
  });
  it('histogram AUC treats a shared bin as a tie and clamps negative noisy counts', () => {
    expect(aucFromHistograms([0, 1, 1], [1, 1, 0])).toBe(0.875);
    expect(aucFromHistograms([0, 2, -3], [2, 0, 0])).toBe(1);
    expect(aucFromHistograms([0, 0], [1, 1])).toBeNull();
  });
});

describe('model file', () => {
  const spec = TrainSpecSchema.parse(BASE);
  const enc = encodingOf(spec, { means: { tenure: 36 }, stds: { tenure: 12 } });
  const base = initialModel({
    name: 'm',
    label: spec.label,
    encoding: enc,
    optimiser: 'gd',
    roundsPlanned: 4,
    epsilonPerNode: 1,
    noise: true,
    nodes: ['a', 'b', 'c'],
  });
  const model = withVector(base, [-1, 0.5, 0.75, -0.25, 0]);
  it('scores a row as by hand', () => {
    // z = -1 + 0.5 * (48 - 36)/12 + 0.75 * 1 = 0.25
    expect(scoreRow(model, { tenure: '48', contract: 'Monthly' })).toBeCloseTo(
      1 / (1 + Math.exp(-0.25)),
      15
    );
  });
  it('round-trips through JSON', () => {
    const back = modelFromJson(modelToJson(model));
    expect(back).toEqual(model);
    expect(scoreRow(back, { tenure: 10, contract: 'Yearly' })).toBe(
      scoreRow(model, { tenure: 10, contract: 'Yearly' })
    );
  });
  it('rejects a bad file with a clear error', () => {
    expect(() => modelFromJson('{"format": ', 'm.json')).toThrow(/^m\.json: not valid JSON/);
    const noWeight = JSON.parse(modelToJson(model));
    delete noWeight.weights['contract=Yearly'];
    try {
      modelFromJson(JSON.stringify(noWeight), 'm.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe('BAD_REQUEST');
      expect((err as ProtocolError).message).toBe(
        'm.json: invalid model: weights.contract=Yearly: missing weight for encoded column "contract=Yearly"'
      );
    }
    expect(() => modelFromJson(JSON.stringify({ ...noWeight, format: 'other' }), 'x.json')).toThrow(
      /x\.json: invalid model: format: not a model file/
    );
  });
});

describe('hostile inputs', () => {
  const spec = TrainSpecSchema.parse(BASE);
  const enc = encodingOf(spec, { means: { tenure: 36 }, stds: { tenure: 12 } });
  const good = JSON.parse(
    modelToJson(
      initialModel({
        name: 'm',
        label: spec.label,
        encoding: enc,
        optimiser: 'gd',
        roundsPlanned: 1,
        epsilonPerNode: 1,
        noise: true,
        nodes: [],
      })
    )
  );
  const HOSTILE: unknown[] = [
    null,
    0,
    'model',
    [],
    {},
    { ...good, formatVersion: 2 },
    { ...good, intercept: '0' },
    { ...good, weights: { ...good.weights, extra: 1 } },
    {
      ...good,
      encoding: [{ type: 'numeric', column: 'tenure', lower: 0, upper: 72, mean: 36, std: 0 }],
    },
    { ...good, encoding: [] },
    { ...good, training: { ...good.training, state: { velocity: [1] } } },
  ];
  it('modelFromJson rejects every malformed model with BAD_REQUEST', () => {
    for (const h of HOSTILE) {
      expect(() => modelFromJson(JSON.stringify(h), 'h.json')).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' })
      );
    }
    // 1e999 parses to Infinity: not a finite weight.
    expect(() =>
      modelFromJson(
        modelToJson(withVector(modelFromJson(JSON.stringify(good)), [0, 0, 0, 0, 0])).replace(
          '"intercept": 0',
          '"intercept": 1e999'
        )
      )
    ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
  it('TrainSpecSchema rejects every hostile value', () => {
    for (const h of [
      ...HOSTILE,
      { ...BASE, rounds: 0 },
      { ...BASE, clipNorm: -1 },
      { ...BASE, epsilon: 0 },
      { ...BASE, features: [] },
      { ...BASE, optimiser: { kind: 'adam' } },
    ]) {
      expect(TrainSpecSchema.safeParse(h).success).toBe(false);
    }
  });
});
