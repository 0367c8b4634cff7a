import type { SegmentLayout } from '@fedmark/protocol';

/**
 * Variance of the discrete Laplace distribution with parameter a = exp(-epsilon/sensitivity)
 * (scale t = sensitivity/epsilon): Var = 2a/(1-a)^2 (Canonne, Kamath, Steinke 2020, §2;
 * DESIGN §3 reference formulas). For sensitivity 1, epsilon 0.5 this is about 7.8 (std 2.8).
 */
export function discreteLaplaceVariance(sensitivity: bigint | number, epsilon: number): number {
  if (!(epsilon > 0)) throw new RangeError(`"epsilon" expected a positive number, got ${epsilon}`);
  const s = Number(sensitivity);
  if (!(s > 0)) throw new RangeError(`"sensitivity" expected a positive number, got ${s}`);
  const a = Math.exp(-epsilon / s);
  return (2 * a) / (1 - a) ** 2;
}

/**
 * Per-slot noise variance of an aggregate in slot units: in local mode every contributing node
 * adds its own full discrete Laplace draw to every slot of a block (scale = block sensitivity /
 * block epsilon), so variances add over contributors. Zero when noise was off (test only).
 */
export function aggregateNoiseVariance(layout: SegmentLayout, contributors: number, noiseOn: boolean): number[] {
  const out = new Array<number>(layout.length).fill(0);
  if (!noiseOn) return out;
  for (const b of layout.blocks) {
    const v = contributors * discreteLaplaceVariance(b.sensitivity, b.epsilonMicro / 1e6);
    for (let i = 0; i < b.length; i++) out[b.offset + i] = v;
  }
  return out;
}
