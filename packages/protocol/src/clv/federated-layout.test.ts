import { describe, expect, it } from 'vitest';
import {
  CLV_DEFAULT_CLIP,
  LOG_SPEND_CLIP,
  clvBlock,
  clvEpsilonPlan,
  clvRoundLayout,
  clvScale,
} from './federated-layout.ts';

const spec = {
  model: 'bgnbd' as const,
  theta: [0, 0, 0, 0],
  clip: CLV_DEFAULT_CLIP.bgnbd,
  round: 0,
  roundEpsilonMicro: 100_000,
};

describe('clvRoundLayout', () => {
  it('has count, loglik, gradient and the information upper triangle', () => {
    const l = clvRoundLayout(spec);
    expect(l.blocks.map((b) => [b.name, b.length])).toEqual([
      ['count', 1],
      ['loglik', 1],
      ['gradient', 4],
      ['information', 10],
    ]);
    expect(l.length).toBe(16);
    expect(l.blocks.reduce((s, b) => s + b.epsilonMicro, 0)).toBe(100_000);
  });

  it('sensitivities are the clips at the fixed-point scale plus rounding', () => {
    const l = clvRoundLayout(spec);
    const sg = clvScale(3);
    expect(clvBlock(l, 'gradient').l2Sensitivity).toBe(BigInt(Math.ceil(3 * sg + 1)));
    expect(clvBlock(l, 'gradient').sensitivity).toBe(BigInt(Math.ceil(2 * 3 * sg + 2)));
    const sh = clvScale(2);
    expect(clvBlock(l, 'information').l2Sensitivity).toBe(
      BigInt(Math.ceil(2 * sh + Math.sqrt(10) / 2))
    );
    expect(clvBlock(l, 'loglik').sensitivity).toBe(BigInt(Math.ceil(60 * clvScale(60) + 0.5)));
    expect(clvBlock(l, 'count').sensitivity).toBe(1n);
  });

  it('the hash is stable and changes with theta and the round', () => {
    const h = clvRoundLayout(spec).hash;
    expect(clvRoundLayout({ ...spec }).hash).toBe(h);
    expect(clvRoundLayout({ ...spec, theta: [0, 0, 0, 1e-9] }).hash).not.toBe(h);
    expect(clvRoundLayout({ ...spec, round: 1 }).hash).not.toBe(h);
  });

  it("Gamma-Gamma's first round is a start round: count and the clamped log-spend sum only", () => {
    const start = {
      ...spec,
      model: 'gamma-gamma' as const,
      theta: [0, 0, 0],
      clip: CLV_DEFAULT_CLIP['gamma-gamma'],
    };
    const l = clvRoundLayout(start);
    const ss = clvScale(LOG_SPEND_CLIP);
    expect(l.blocks.map((b) => [b.name, b.length, b.sensitivity])).toEqual([
      ['count', 1, 1n],
      ['logspend', 1, BigInt(Math.ceil(LOG_SPEND_CLIP * ss + 0.5))],
    ]);
    expect(l.blocks.reduce((s, b) => s + b.epsilonMicro, 0)).toBe(100_000);
    // Its later rounds are Newton rounds again.
    expect(clvRoundLayout({ ...start, round: 1 }).blocks.map((b) => b.name)).toEqual([
      'count',
      'loglik',
      'gradient',
      'information',
    ]);
  });

  it('refuses a theta of the wrong dimension', () => {
    expect(() => clvRoundLayout({ ...spec, theta: [0, 0, 0] })).toThrow(RangeError);
  });
});

describe('clvEpsilonPlan', () => {
  it('splits 2/3 to BG/NBD, the rest to Gamma-Gamma, equally over rounds', () => {
    const p = clvEpsilonPlan({ epsilon: 1, bgnbdRounds: 6, gammaGammaRounds: 10 });
    expect(p).toEqual({
      totalMicro: 1_000_000,
      bgnbdRoundMicro: 111_111,
      gammaGammaRoundMicro: 33_333,
    });
    expect(p.bgnbdRoundMicro * 6 + p.gammaGammaRoundMicro * 10).toBeLessThanOrEqual(p.totalMicro);
  });
});
