import type { SegmentLayout } from '../layout.ts';

/**
 * Per-slot noise variance of a released vector in slot units, for error bars computed away from
 * the node (the coordinator). Each block's slots carry discrete Laplace noise with scale
 * t = sensitivity/epsilon, i.e. a = exp(-epsilon/sensitivity) and variance 2a/(1-a)^2
 * (docs/privacy.md; Canonne, Kamath, Steinke 2020). In local noise mode every one of
 * `contributions` nodes adds its own draw, so an aggregate of n contributions has n times that
 * variance. A block of sensitivity 0 is exact (variance 0).
 */
export function layoutNoiseVariance(layout: SegmentLayout, contributions = 1): number[] {
  if (!Number.isSafeInteger(contributions) || contributions < 0) {
    throw new RangeError(`"contributions" expected a non-negative integer, got ${contributions}`);
  }
  const out = new Array<number>(layout.length).fill(0);
  for (const b of layout.blocks) {
    if (b.sensitivity === 0n) continue;
    const inv = b.epsilonMicro / 1e6 / Number(b.sensitivity); // 1/t
    const a = Math.exp(-inv);
    const oneMinusA = -Math.expm1(-inv); // exact for tiny 1/t where 1 - a would cancel
    const v = (contributions * 2 * a) / (oneMinusA * oneMinusA);
    for (let i = b.offset; i < b.offset + b.length; i++) out[i] = v;
  }
  return out;
}
