import { describe, expect, it } from 'vitest';
import { overlapNoiseBound, overlapNoiseVariance } from '@fedmark/protocol';
import { overlapDummyCount } from './overlap-noise.ts';

describe('overlap dummy count: K + L with L truncated discrete Laplace', () => {
  it('draws in [0, 2K] with mean K and the truncated law variance (20,000 draws at epsilon 1)', () => {
    const eps = 1_000_000;
    const k = overlapNoiseBound(eps);
    const draws = Array.from({ length: 20_000 }, () => overlapDummyCount(eps, k));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(2 * k);
    const mean = draws.reduce((s, d) => s + d, 0) / draws.length;
    const variance = draws.reduce((s, d) => s + (d - mean) ** 2, 0) / draws.length;
    const expected = overlapNoiseVariance(eps, k);
    // Standard error of the mean: sqrt(1.85 / 20000) = 0.0096; 5 of them.
    expect(Math.abs(mean - k)).toBeLessThan(0.05);
    expect(variance / expected).toBeGreaterThan(0.93);
    expect(variance / expected).toBeLessThan(1.07);
    // P(L = 0) = (1 - q) / (1 + q) = 0.462 at epsilon 1.
    const zeros = draws.filter((d) => d === k).length / draws.length;
    expect(Math.abs(zeros - 0.462)).toBeLessThan(0.02);
  });

  it('refuses a bound below 1', () => {
    expect(() => overlapDummyCount(1_000_000, 0)).toThrow(/positive integer/);
  });
});
