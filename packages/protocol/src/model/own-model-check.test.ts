import { describe, expect, it } from 'vitest';
import { TrainRoundQuerySchema } from '../schemas/federation.ts';
import { roundNoiseOf } from '../dp/round-noise.ts';
import { SMALL_TRAIN_SPEC } from './_train-spec-testing.ts';
import {
  noisyCountExceedance,
  ownModelCheckLayout,
  ownModelCheckRecord,
  ownModelCheckRound,
  trainRoundCount,
} from './own-model-check.ts';
import { TrainSpecSchema, formatIssues } from './train-spec.ts';

const withCheck = TrainSpecSchema.parse({
  ...SMALL_TRAIN_SPEC,
  rounds: 4,
  ownModelCheck: { epsilon: 0.5 },
});

describe('own-model check: spec, rounds and layout', () => {
  it('is opt-in, needs a validation split, and defaults its margin', () => {
    const plain = TrainSpecSchema.parse({ ...SMALL_TRAIN_SPEC, rounds: 4 });
    expect(plain.ownModelCheck).toBeUndefined();
    expect(trainRoundCount(plain)).toBe(5);
    expect(ownModelCheckRound(plain)).toBeNull();
    expect(withCheck.ownModelCheck).toEqual({ epsilon: 0.5, margin: 0.005 });
    expect(trainRoundCount(withCheck)).toBe(6);
    expect(ownModelCheckRound(withCheck)).toBe(5);
    const r = TrainSpecSchema.safeParse({
      ...SMALL_TRAIN_SPEC,
      validation: { fraction: 0 },
      ownModelCheck: { epsilon: 1 },
    });
    expect(r.success).toBe(false);
    expect(formatIssues(r.error?.issues ?? [])).toBe(
      'ownModelCheck: the own-model check compares on validation customers: set validation.fraction above 0'
    );
  });

  it('releases one slot of sensitivity 1 at the check epsilon; the margin is in the hash', () => {
    const layout = ownModelCheckLayout(withCheck);
    expect(layout).toMatchObject({
      length: 1,
      epsilonMicro: 500_000,
      blocks: [
        { name: 'own_better', offset: 0, length: 1, sensitivity: 1n, epsilonMicro: 500_000 },
      ],
    });
    const wider = TrainSpecSchema.parse({
      ...SMALL_TRAIN_SPEC,
      rounds: 4,
      ownModelCheck: { epsilon: 0.5, margin: 0.02 },
    });
    expect(ownModelCheckLayout(wider).hash).not.toBe(layout.hash);
    expect(() => ownModelCheckLayout(TrainSpecSchema.parse(SMALL_TRAIN_SPEC))).toThrow(
      'this train spec has no ownModelCheck'
    );
  });

  it('noises the check with Laplace of the job trust model, whatever trains the model', () => {
    const q = (phase: 'gradient' | 'check') =>
      TrainRoundQuerySchema.parse({
        kind: 'train_round',
        name: 'r',
        purpose: 'model_training',
        epsilon: 0.5,
        phase,
        train: withCheck,
        model: null,
        layoutHash: 'ab'.repeat(32),
      });
    const gaussian = { mechanism: 'distributed-gaussian' as const, delta: 1e-7 };
    expect(roundNoiseOf(gaussian, q('check'), 3)).toEqual({
      mechanism: 'distributed-laplace',
      contributors: 3,
    });
    expect(roundNoiseOf(gaussian, q('gradient'), 3).mechanism).toBe('distributed-gaussian');
    expect(roundNoiseOf({ mechanism: 'local-laplace', delta: 1e-7 }, q('check'), 3)).toEqual({
      mechanism: 'local-laplace',
    });
  });
});

describe('own-model check: what the count says', () => {
  it('gives the central discrete Laplace its false-alarm rate a/(1+a) when the threshold answered', () => {
    for (const eps of [0.5, 1, 2]) {
      const a = Math.exp(-eps);
      expect(noisyCountExceedance(1, a)).toBeCloseTo(a / (1 + a), 12);
    }
    // More shares than the threshold, or a full draw per node, add noise: more false alarms.
    const a = Math.exp(-1);
    expect(noisyCountExceedance(4 / 3, a)).toBeGreaterThan(noisyCountExceedance(1, a));
    expect(noisyCountExceedance(4, a)).toBeGreaterThan(noisyCountExceedance(4 / 3, a));
    expect(noisyCountExceedance(1, 0)).toBe(0);
    // A true count k shows as 1 or more with P(noise >= 1 - k); for the central Laplace
    // P(noise >= -1) = 1 - P(noise >= 2) = 1 - a^2/(1+a).
    expect(noisyCountExceedance(1, a, 0)).toBeCloseTo(1 - a / (1 + a), 12);
    expect(noisyCountExceedance(1, a, -1)).toBeCloseTo(1 - a ** 2 / (1 + a), 12);
    expect(noisyCountExceedance(1, a, 3)).toBeCloseTo(a ** 3 / (1 + a), 12);
  });

  it('matches a Monte Carlo of summed Polya shares (4 shares sized for 3)', () => {
    // NegativeBinomial(r, a) by its Gamma-Poisson mixture (test-only float sampling).
    let s = 12345;
    const u = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s + 0.5) / 2 ** 32;
    };
    const gamma = (shape: number): number => {
      // Marsaglia-Tsang for shape >= 1, boosted below.
      if (shape < 1) return gamma(shape + 1) * u() ** (1 / shape);
      const d = shape - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
        const v = (1 + c * z) ** 3;
        if (v > 0 && Math.log(u()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
      }
    };
    const poisson = (lambda: number): number => {
      let k = 0;
      let p = Math.exp(-lambda);
      let cdf = p;
      const x = u();
      while (x > cdf) {
        k++;
        p *= lambda / k;
        cdf += p;
      }
      return k;
    };
    const a = Math.exp(-1);
    const nb = (r: number) => poisson((gamma(r) * a) / (1 - a));
    const runs = 40_000;
    let hits = 0;
    for (let i = 0; i < runs; i++) if (nb(4 / 3) - nb(4 / 3) >= 1) hits++;
    expect(hits / runs).toBeCloseTo(noisyCountExceedance(4 / 3, a), 2);
  });

  it('records the released count with its noise and false-alarm rate', () => {
    const rec = ownModelCheckRecord(withCheck, {
      value: 2n,
      contributors: 4,
      noise: { mechanism: 'distributed-laplace', contributors: 3 },
      noiseOn: true,
    });
    const a = Math.exp(-0.5);
    expect(rec).toMatchObject({ epsilonPerNode: 0.5, margin: 0.005, nodes: 4, count: 2 });
    expect(rec.noiseStd).toBeCloseTo(Math.sqrt(((4 / 3) * 2 * a) / (1 - a) ** 2), 12);
    expect(rec.falseAlarm).toBeCloseTo(noisyCountExceedance(4 / 3, a), 12);
    expect(
      ownModelCheckRecord(withCheck, {
        value: 0n,
        contributors: 3,
        noise: { mechanism: 'local-laplace' },
        noiseOn: false,
      })
    ).toEqual({
      epsilonPerNode: 0.5,
      margin: 0.005,
      nodes: 3,
      count: 0,
      noiseStd: 0,
      falseAlarm: 0,
    });
  });
});
