import { describe, expect, it } from 'vitest';
import {
  CURVATURE_CLIP,
  decodeRound,
  encodeRow,
  encodingOf,
  findBlock,
  fractionValue,
  gaussianShareVariance,
  initialModel,
  linearScore,
  modelVector,
  sigmoid,
  TrainSpecSchema,
  trainNoiseLayout,
  withVector,
  type Model,
  type TrainSpec,
} from '@fedmark/protocol';
import { localGradientRelease, localRoundVector, type TrainingRow } from './gradient-release.ts';
import { simulatedJobNoise } from './simulate.ts';

const spec: TrainSpec = TrainSpecSchema.parse({
  version: 1,
  kind: 'train',
  purpose: 'model_training',
  table: 'features',
  label: { column: 'churn', positive: 'Yes' },
  features: [
    { type: 'numeric', column: 'tenure', lower: 0, upper: 72 },
    { type: 'categorical', column: 'contract', categories: ['Monthly', 'Yearly'] },
  ],
  optimiser: { kind: 'diagonal' },
  epsilon: 1,
  validation: { fraction: 0, seed: 0 },
});

function model(): Model {
  const m = initialModel({
    name: 'm',
    label: spec.label,
    // A narrow std makes tenure 72 encode as (72 - 10) / 4 = 15.5: |x|_4^2 far above the clip.
    encoding: encodingOf(spec, { means: { tenure: 10 }, stds: { tenure: 4 } }),
    optimiser: 'diagonal',
    roundsPlanned: spec.rounds,
    epsilonPerNode: spec.epsilon,
    noise: false,
    nodes: [],
  });
  return withVector(m, [-0.3, 0.2, 0.5, -0.4, 0]);
}

const row = (id: string, tenure: number, contract: string, churn: string): TrainingRow => ({
  customerId: id,
  values: { tenure, contract, churn },
});

const curvature = (m: Model, rows: TrainingRow[]): number[] => {
  const v = localRoundVector(spec, m, rows);
  const b = findBlock(v.layout, 'curvature');
  if (!b) throw new Error('no curvature block');
  return v.values.slice(b.offset, b.offset + b.length).map((x) => Number(x) / b.scale);
};

describe('curvature release (diagonal optimiser)', () => {
  it("is p(1-p) x_j^2 per column for a record under the clip, to the fixed point's rounding", () => {
    const m = model();
    const r = row('a', 11, 'Yearly', 'No');
    const x = encodeRow(m.encoding, r.values);
    const p = sigmoid(linearScore(modelVector(m), x));
    const want = Array.from(x, (v) => p * (1 - p) * v * v);
    for (const [j, c] of curvature(m, [r]).entries()) expect(c).toBeCloseTo(want[j] as number, 4);
    expect(Math.hypot(...want)).toBeLessThan(CURVATURE_CLIP);
  });

  it('clips a record with a large encoded value to L2 norm CURVATURE_CLIP', () => {
    const m = model();
    const r = row('b', 72, 'Monthly', 'Yes');
    const x = encodeRow(m.encoding, r.values);
    const p = sigmoid(linearScore(modelVector(m), x));
    const raw = Array.from(x, (v) => p * (1 - p) * v * v);
    expect(Math.hypot(...raw)).toBeGreaterThan(5 * CURVATURE_CLIP);
    const c = curvature(m, [r]);
    expect(Math.hypot(...c)).toBeCloseTo(CURVATURE_CLIP, 4);
    // Clipping scales the record's vector, so its direction is kept.
    const f = CURVATURE_CLIP / Math.hypot(...raw);
    for (const [k, v] of c.entries()) expect(v).toBeCloseTo((raw[k] as number) * f, 4);
  });

  it('noises the block with the Gaussian share of its own sensitivity and share, and the step reads that std', () => {
    const m = model();
    const nodes = [0, 1, 2].map((i) => [
      row(`n${i}a`, 20 + i, 'Monthly', 'Yes'),
      row(`n${i}b`, 5, 'Yearly', 'No'),
    ]);
    const noise = simulatedJobNoise(spec, 'distributed-gaussian', 3);
    if (noise.mechanism !== 'distributed-gaussian') throw new Error('expected Gaussian shares');
    const rel = nodes.map((rows) =>
      localGradientRelease(spec, m, rows, { noise: true, roundNoise: noise })
    );
    const layout = (rel[0] as (typeof rel)[number]).layout;
    const blk = trainNoiseLayout(layout).blocks.find((b) => b.name === 'curvature');
    if (!blk) throw new Error('no curvature block');
    const s2 = gaussianShareVariance(blk, noise);
    expect(s2).not.toBeNull();
    const share = fractionValue(s2 as NonNullable<typeof s2>);
    for (const r of rel)
      expect(r.variance.slice(blk.offset, blk.offset + blk.length)).toEqual(
        new Array(blk.length).fill(share)
      );
    // The curvature and the gradient get different noise: the sensitivities and shares differ.
    const g = findBlock(layout, 'gradient');
    expect((rel[0] as (typeof rel)[number]).variance[g?.offset as number]).not.toBe(share);
    const stats = decodeRound({
      layout,
      values: layout.blocks.flatMap((b) => new Array<bigint>(b.length).fill(0n)),
      variance: (rel[0] as (typeof rel)[number]).variance.map((_, i) =>
        rel.reduce((t, r) => t + (r.variance[i] as number), 0)
      ),
      nodes: ['a', 'b', 'c'],
    });
    expect(stats.curvatureNoiseStd).toBeCloseTo(
      Math.sqrt(3 * share) / (findBlock(layout, 'curvature')?.scale as number),
      12
    );
  });
});
