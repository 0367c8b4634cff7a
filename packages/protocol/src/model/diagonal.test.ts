import { describe, expect, it } from 'vitest';
import { CURVATURE_FLOOR, diagonalStep, type DiagonalStepInput } from './_diagonal-step.ts';
import { encodedNames, encodingBounds, encodingOf } from './feature-encoding.ts';
import { curvatureScale, findBlock, roundLayout, trainEpsilonPlan } from './round-layout.ts';
import { TrainSpecSchema } from './train-spec.ts';
import { SMALL_TRAIN_SPEC } from './_train-spec-testing.ts';

const BASE = SMALL_TRAIN_SPEC;

/** A separable quadratic: log-likelihood sum -1/2 sum_j a_j (w_j - c_j)^2, curvature a_j. */
function quadratic(a: number[], c: number[], w: number[]): DiagonalStepInput {
  return {
    weights: w,
    gradient: w.map((wj, j) => (a[j] as number) * ((c[j] as number) - wj)),
    curvature: a,
    count: 100,
    curvatureNoiseStd: 0,
    gradientNoiseStd: 0,
    l2: 0,
    learningRate: 1e-6,
    diagonalRate: 1,
    momentum: 0,
    velocity: w.map(() => 0),
  };
}

const expectClose = (got: number[], want: number[]): void => {
  expect(got).toHaveLength(want.length);
  for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i] as number, 12);
};

describe('diagonal optimiser step', () => {
  it('is the Newton step on a separable quadratic: one step lands on the optimum whatever the scaling', () => {
    // Curvatures 4000 times apart: gd with one rate would need thousands of steps on the flat one.
    const out = diagonalStep(quadratic([80, 20, 6], [0.5, -2, 3], [0, 0, 0]));
    expect(out.weights[0]).toBeCloseTo(0.5, 12);
    expect(out.weights[1]).toBeCloseTo(-2, 12);
    expect(out.weights[2]).toBeCloseTo(3, 12);
  });

  it('scales by diagonalRate, adds l2 off the intercept and carries momentum', () => {
    const input = { ...quadratic([80, 20], [1, 1], [0, 0]), diagonalRate: 0.5, l2: 20 };
    const first = diagonalStep(input);
    expectClose(first.velocity, [0.5, 0.25]);
    const second = diagonalStep({ ...input, momentum: 0.5, velocity: first.velocity });
    expect(second.velocity[0]).toBeCloseTo(0.25 + 0.5, 12);
  });

  it('floors noisy or tiny curvature at max(2 sigma_h, 10 sigma_g, 0.05 n)', () => {
    const base = { ...quadratic([-3, 0.01], [1, 1], [0, 0]), count: 1000 };
    // Without noise the per-record floor 0.05 n = 50 holds.
    expectClose(diagonalStep(base).velocity, [-3 / 50, 0.01 / 50]);
    // The curvature's noise: 2 * 40 = 80.
    expectClose(diagonalStep({ ...base, curvatureNoiseStd: 40 }).velocity, [-3 / 80, 0.01 / 80]);
    // The gradient's noise: 10 * 9 = 90.
    const both = { ...base, curvatureNoiseStd: 40, gradientNoiseStd: 9 };
    expectClose(diagonalStep(both).velocity, [-3 / 90, 0.01 / 90]);
    expect(CURVATURE_FLOOR).toEqual({ curvatureNoise: 2, gradientNoise: 10, perRecord: 0.05 });
  });

  it('is never slower than gd at learningRate: where the floor dominates it is gd', () => {
    const input = { ...quadratic([5, 5], [1, 1], [0, 0]), learningRate: 4, gradientNoiseStd: 30 };
    // floor 300, diagonalRate / 300 < 4 / 100.
    expectClose(diagonalStep(input).velocity, [0.2, 0.2]);
  });
});

describe('curvature block', () => {
  const spec = TrainSpecSchema.parse(BASE);
  const encoding = encodingOf(spec, { means: { tenure: 30 }, stds: { tenure: 20 } });

  it('is the default optimiser: diagonal, learning rate 4, diagonal rate 0.75, momentum 0.5', () => {
    expect(spec.optimiser).toEqual({
      kind: 'diagonal',
      learningRate: 4,
      diagonalRate: 0.75,
      momentum: 0.5,
    });
  });

  it('has one slot per column, L2 sensitivity the clip and L1 sqrt(k) clips, plus rounding', () => {
    const layout = roundLayout(spec, encoding, 0);
    const blk = findBlock(layout, 'curvature');
    const { k } = encodingBounds(encoding);
    expect(k).toBe(3);
    expect(blk?.length).toBe(encodedNames(encoding).length);
    expect(blk?.scale).toBe(curvatureScale());
    expect(curvatureScale()).toBe(65536);
    expect(blk?.l2Sensitivity).toBe(BigInt(Math.ceil(65536 + Math.sqrt(3) / 2)));
    expect(blk?.sensitivity).toBe(BigInt(Math.ceil(Math.sqrt(3) * 65536 + 1.5)));
  });

  it('takes 2 of 21 shares of the round epsilon; the blocks sum exactly to the round', () => {
    const layout = roundLayout(spec, encoding, 0);
    const per = trainEpsilonPlan(spec).perRoundMicro;
    const share = (name: 'count' | 'loss' | 'gradient' | 'curvature') =>
      findBlock(layout, name)?.epsilonMicro as number;
    expect(share('curvature')).toBe(Math.floor((per * 2) / 21));
    expect(share('count') + share('loss') + share('gradient') + share('curvature')).toBe(per);
  });

  it('is absent under gd and newton', () => {
    for (const optimiser of [{ kind: 'gd', learningRate: 4 }, { kind: 'newton' }] as const) {
      const s = TrainSpecSchema.parse({ ...BASE, optimiser });
      expect(findBlock(roundLayout(s, encoding, 0), 'curvature')).toBeUndefined();
    }
  });
});
