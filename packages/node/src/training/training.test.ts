import { describe, expect, it } from 'vitest';
import {
  applyUpdate,
  encodingOf,
  encodeRow,
  findBlock,
  initialModel,
  linearScore,
  modelVector,
  sigmoid,
  TrainSpecSchema,
  trainEpsilonPlan,
  withVector,
  type Model,
  type TrainSpec,
  type TrainSpecInput,
} from '@fedmark/protocol';
import { discreteLaplaceVariance } from '../privacy/discrete-laplace.ts';
import { localGradientRelease, localRoundVector, type TrainingRow } from './gradient-release.ts';
import { solveDense } from './reference.ts';
import { simulateStandardisation, simulateTraining } from './simulate.ts';

/** Deterministic synthetic customers (LCG; tests only) with a churn label from a known model. */
function synthRows(n: number, seed: number): TrainingRow[] {
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const contracts = ['Monthly', 'Yearly', 'Biennial', 'Weird'];
  return Array.from({ length: n }, (_, i) => {
    const tenure = Math.floor(u() * 90) - 5; // some values outside the bounds [0, 72]
    const charges = i % 17 === 0 ? null : Math.round(u() * 12000) / 100;
    const contract = contracts[Math.floor(u() * 4)] as string;
    const z = 0.8 - tenure / 30 + (charges ?? 50) / 60 + (contract === 'Monthly' ? 1 : 0);
    return {
      customerId: `cust-${seed}-${i}`,
      values: { tenure, charges, contract, churn: u() < sigmoid(z) ? 'Yes' : 'No' },
    };
  });
}

const BASE: TrainSpecInput = {
  version: 1,
  kind: 'train',
  purpose: 'model_training',
  table: 'features',
  label: { column: 'churn', positive: 'Yes' },
  features: [
    { type: 'numeric', column: 'tenure', lower: 0, upper: 72 },
    { type: 'numeric', column: 'charges', lower: 0, upper: 120 },
    { type: 'categorical', column: 'contract', categories: ['Monthly', 'Yearly', 'Biennial'] },
  ],
  rounds: 3,
  optimiser: { kind: 'newton' },
  clipNorm: 1.5,
  l2: 1,
  epsilon: 2,
  minNodes: 3,
  validation: { fraction: 0, seed: 0 },
};
const spec = (over: Partial<TrainSpecInput> = {}): TrainSpec =>
  TrainSpecSchema.parse({ ...BASE, ...over });

const ROWS = synthRows(240, 1);
const NODES = [
  { id: 'a', rows: ROWS.slice(0, 50) },
  { id: 'b', rows: ROWS.slice(50, 170) },
  { id: 'c', rows: ROWS.slice(170) },
];

function startModel(s: TrainSpec): Model {
  const std = simulateStandardisation(s, NODES, { noise: false });
  return initialModel({
    name: 'm',
    label: s.label,
    encoding: encodingOf(s, std),
    optimiser: s.optimiser.kind,
    roundsPlanned: s.rounds,
    epsilonPerNode: s.epsilon,
    noise: false,
    nodes: [],
  });
}

const sumVectors = (vs: bigint[][]): bigint[] =>
  (vs[0] as bigint[]).map((_, i) => vs.reduce((t, v) => t + (v[i] as bigint), 0n));

describe('fixed-point gradient release', () => {
  for (const kind of ['newton', 'gd', 'diagonal'] as const) {
    it(`${kind}: the nodes' vectors sum exactly to the pooled vector, at round 0 and at a trained model`, () => {
      const s = spec(
        kind === 'gd' ? { optimiser: { kind: 'gd', learningRate: 2 } } : { optimiser: { kind } }
      );
      let model = startModel(s);
      for (let round = 0; round < 2; round++) {
        const parts = NODES.map((n) => localRoundVector(s, model, n.rows).values);
        const pooled = localRoundVector(s, model, ROWS);
        expect(sumVectors(parts)).toEqual(pooled.values);
        expect(pooled.trainingRows).toBe(240);
        model = applyUpdate(s, model, {
          layout: pooled.layout,
          values: pooled.values,
          variance: pooled.values.map(() => 0),
          nodes: ['a', 'b', 'c'],
        });
      }
      expect(model.training.roundsDone).toBe(2);
    });
  }

  it('one federated Newton step equals the pooled floating-point Newton step within fixed-point rounding', () => {
    const s = spec();
    const model = withVector(startModel(s), [-0.5, 0.3, -0.2, 0.4, 0.1, -0.1, 0]);
    const fed = applyUpdate(s, model, {
      layout: localRoundVector(s, model, ROWS).layout,
      values: sumVectors(NODES.map((n) => localRoundVector(s, model, n.rows).values)),
      variance: new Array(localRoundVector(s, model, ROWS).layout.length).fill(0),
      nodes: ['a', 'b', 'c'],
    });
    // Reference: the same clipped gradient and Hessian in plain floats over the pooled rows.
    const w = Array.from(modelVector(model));
    const d = w.length;
    const g = new Array<number>(d).fill(0);
    const h = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (const r of ROWS) {
      const x = encodeRow(model.encoding, r.values);
      const p = sigmoid(linearScore(w, x));
      const res = (r.values['churn'] === 'Yes' ? 1 : 0) - p;
      const norm = Math.abs(res) * Math.hypot(...x);
      const f = Math.min(1, s.clipNorm / norm);
      for (let i = 0; i < d; i++) {
        g[i] = (g[i] as number) + f * res * (x[i] as number);
        for (let j = 0; j < d; j++)
          (h[i] as number[])[j] =
            ((h[i] as number[])[j] as number) + p * (1 - p) * (x[i] as number) * (x[j] as number);
      }
    }
    for (let i = 1; i < d; i++) {
      g[i] = (g[i] as number) - s.l2 * (w[i] as number);
      (h[i] as number[])[i] = ((h[i] as number[])[i] as number) + s.l2;
    }
    const step = solveDense(h, g);
    const ref = w.map((v, i) => v + (step[i] as number));
    const got = Array.from(modelVector(fed));
    // Rounding: <= 1/2 unit per record and slot at scale 2^16/1.5 (gradient) and 2^16/linf^2*4
    // (Hessian): about 1e-4 in g over 240 rows, divided by curvature ~50 => a few 1e-6 in w.
    got.forEach((v, i) => {
      expect(Math.abs(v - (ref[i] as number))).toBeLessThan(1e-5);
    });
    expect(got).not.toEqual(w);
  });

  it('refuses an aggregate computed under another round layout', () => {
    const s = spec();
    const model = startModel(s);
    const v = localRoundVector(s, model, ROWS);
    const next = applyUpdate(s, model, {
      layout: v.layout,
      values: v.values,
      variance: v.values.map(() => 0),
      nodes: ['a'],
    });
    // Same vector replayed for round 1: the layout hash names round 0, so it is refused.
    expect(() =>
      applyUpdate(s, next, {
        layout: v.layout,
        values: v.values,
        variance: v.values.map(() => 0),
        nodes: ['a'],
      })
    ).toThrow(expect.objectContaining({ code: 'LAYOUT_MISMATCH' }));
  });

  it('one federated gradient step equals w + lr * g / n', () => {
    const s = spec({ optimiser: { kind: 'gd', learningRate: 2, momentum: 0.5 } });
    const model = startModel(s);
    const pooled = localRoundVector(s, model, ROWS);
    const next = applyUpdate(s, model, {
      layout: pooled.layout,
      values: pooled.values,
      variance: pooled.values.map(() => 0),
      nodes: ['a'],
    });
    const gb = findBlock(pooled.layout, 'gradient');
    if (!gb) throw new Error('no gradient block');
    const g = pooled.values
      .slice(gb.offset, gb.offset + gb.length)
      .map((v) => Number(v) / gb.scale);
    const expected = g.map((v) => (2 * v) / 240); // w = 0, so the l2 term vanishes
    Array.from(modelVector(next)).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i] as number, 12);
    });
    expect(next.training.state?.velocity).toEqual(Array.from(modelVector(next)));
  });

  it("one customer's contribution never exceeds the declared L1 sensitivity of any block", () => {
    const s = spec({ clipNorm: 50 });
    const model = withVector(startModel(s), [2, -3, 3, 1, -1, 2, -2]);
    const extremes: TrainingRow[] = [
      { customerId: 'x1', values: { tenure: -100, charges: 1e6, contract: 'none', churn: 'No' } },
      { customerId: 'x2', values: { tenure: 1e6, charges: -5, contract: 'Monthly', churn: 'Yes' } },
      ...ROWS.slice(0, 40),
    ];
    for (const r of extremes) {
      const v = localRoundVector(s, model, [r]);
      for (const b of v.layout.blocks) {
        const l1 = v.values
          .slice(b.offset, b.offset + b.length)
          .reduce((t, x) => t + (x < 0n ? -x : x), 0n);
        expect(l1 <= b.sensitivity).toBe(true);
      }
    }
  });

  it('adds discrete Laplace noise with the declared scale and charges the round share', () => {
    const s = spec();
    const model = startModel(s);
    const exact = localRoundVector(s, model, ROWS);
    const rel = localGradientRelease(s, model, ROWS, { noise: true });
    expect(rel.layout.hash).toBe(exact.layout.hash);
    expect(rel.epsilonMicro).toBe(trainEpsilonPlan(s).perRoundMicro);
    expect(rel.values).not.toEqual(exact.values);
    for (const b of rel.layout.blocks) {
      expect(rel.variance[b.offset]).toBe(
        discreteLaplaceVariance(b.sensitivity * 1_000_000n, BigInt(b.epsilonMicro))
      );
    }
    const plain = localGradientRelease(s, model, ROWS, { noise: false });
    expect(plain.values).toEqual(exact.values);
    expect(plain.variance.every((v) => v === 0)).toBe(true);
  });

  it('sends validation customers to the score histograms only', () => {
    const s = spec({ validation: { fraction: 0.25, seed: 3 } });
    const v = localRoundVector(s, startModel(s), ROWS);
    expect(v.trainingRows + v.validationRows).toBe(240);
    expect(v.validationRows).toBeGreaterThan(30);
    const pos = findBlock(v.layout, 'eval_pos');
    const neg = findBlock(v.layout, 'eval_neg');
    if (!pos || !neg) throw new Error('no eval blocks');
    const total = v.values.slice(pos.offset, neg.offset + neg.length).reduce((t, x) => t + x, 0n);
    expect(total).toBe(BigInt(v.validationRows));
    expect(v.values[findBlock(v.layout, 'count')?.offset ?? -1]).toBe(BigInt(v.trainingRows));
  });
});

describe('consent', () => {
  it('customers without model_training consent do not influence the model; nothing else changes', () => {
    const s = spec();
    // Node b holds 30 extra customers who did not consent: the store filters them out before
    // training, which must give exactly the model trained where they never existed.
    const extra = synthRows(30, 99).map((r) => ({
      ...r,
      values: { ...r.values, tenure: 1, churn: 'Yes' },
    }));
    const consented = new Set(ROWS.map((r) => r.customerId));
    const bAll = [...(NODES[1]?.rows ?? []), ...extra];
    const filtered = [
      NODES[0],
      { id: 'b', rows: bAll.filter((r) => consented.has(r.customerId)) },
      NODES[2],
    ] as typeof NODES;
    const without = simulateTraining(s, filtered, { noise: false });
    const never = simulateTraining(s, NODES, { noise: false });
    const withThem = simulateTraining(
      s,
      [NODES[0], { id: 'b', rows: bAll }, NODES[2]] as typeof NODES,
      { noise: false }
    );
    expect(without).toEqual(never);
    expect(modelVector(withThem)).not.toEqual(modelVector(never));
  });
});

describe('standardisation phase', () => {
  it('without noise gives the exact mean and std of the clipped values', () => {
    const s = spec();
    const std = simulateStandardisation(s, NODES, { noise: false });
    const tenure = ROWS.map((r) => Math.min(72, Math.max(0, r.values['tenure'] as number)));
    const mean = tenure.reduce((a, b) => a + b, 0) / tenure.length;
    const sd = Math.sqrt(tenure.reduce((a, b) => a + (b - mean) ** 2, 0) / tenure.length);
    expect(std.means['tenure']).toBeCloseTo(mean, 3);
    expect(std.stds['tenure']).toBeCloseTo(sd, 3);
    // charges has missing values: they count neither in its mean nor its std.
    const charges = ROWS.map((r) => r.values['charges'])
      .filter((v): v is number => typeof v === 'number')
      .map((v) => Math.min(120, v));
    expect(std.means['charges']).toBeCloseTo(
      charges.reduce((a, b) => a + b, 0) / charges.length,
      3
    );
  });
});
