import { describe, expect, it } from 'vitest';
import {
  OVERLAP_TRUNCATION_DELTA,
  overlapNoiseBound,
  overlapNoiseDelta,
  overlapNoiseHalfWidth,
  overlapNoiseVariance,
} from './overlap-noise.ts';
import { overlapPaddedSize } from './overlap-padding.ts';

describe('overlap noise: truncated discrete Laplace', () => {
  it.each([0.1, 0.5, 1, 2])(
    'epsilon %s: the bound is the smallest whose edge mass is <= 1e-10',
    (eps) => {
      const micro = Math.round(eps * 1e6);
      const k = overlapNoiseBound(micro);
      expect(overlapNoiseDelta(micro, k)).toBeLessThanOrEqual(OVERLAP_TRUNCATION_DELTA);
      expect(overlapNoiseDelta(micro, k - 1)).toBeGreaterThan(OVERLAP_TRUNCATION_DELTA);
    }
  );

  it('delta is the edge mass q^K / Z, checked against a direct sum', () => {
    const q = Math.exp(-1);
    let z = 0;
    for (let k = -23; k <= 23; k++) z += q ** Math.abs(k);
    expect(overlapNoiseDelta(1_000_000, 23)).toBeCloseTo(q ** 23 / z, 20);
    expect(overlapNoiseBound(1_000_000)).toBe(23);
  });

  it('variance and the 95% half-width match the untruncated discrete Laplace closely', () => {
    // Discrete Laplace with parameter q: variance 2q / (1 - q)^2.
    const q = Math.exp(-0.5);
    const k = overlapNoiseBound(500_000);
    expect(overlapNoiseVariance(500_000, k)).toBeCloseTo((2 * q) / (1 - q) ** 2, 6);
    const m = overlapNoiseHalfWidth(500_000, k);
    // P(|L| <= m) >= 0.95 > P(|L| <= m - 1) for the untruncated law.
    const cover = (n: number) => 1 - (2 * q ** (n + 1)) / (1 + q);
    expect(cover(m)).toBeGreaterThanOrEqual(0.95);
    expect(cover(m - 1)).toBeLessThan(0.95);
  });

  it('refuses a non-positive or fractional epsilon', () => {
    expect(() => overlapNoiseBound(0)).toThrow(/positive integer/);
    expect(() => overlapNoiseBound(1.5)).toThrow(/positive integer/);
  });
});

describe('overlap padding', () => {
  it('pads to 1,024-point buckets, then to 1/8 of the power of two', () => {
    expect(overlapPaddedSize(0)).toBe(1024);
    expect(overlapPaddedSize(1024)).toBe(1024);
    expect(overlapPaddedSize(1025)).toBe(2048);
    expect(overlapPaddedSize(100_000)).toBe(106_496);
    for (const n of [9000, 50_000, 300_000]) {
      expect(overlapPaddedSize(n)).toBeGreaterThanOrEqual(n);
      expect(overlapPaddedSize(n) / n).toBeLessThanOrEqual(1.125);
    }
  });
});
