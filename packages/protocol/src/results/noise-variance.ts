import {
  LOCAL_LAPLACE,
  fractionValue,
  gaussianShareVariance,
  type GaussianBlock,
  type RoundNoise,
} from '../dp/mechanism.ts';

/** What the noise of a block depends on: segment layout blocks and train round blocks both fit. */
export interface VarianceBlock extends GaussianBlock {
  offset: number;
}

/**
 * Variance of ONE node's noise on each slot of a block, in slot units (docs/privacy.md):
 * - local discrete Laplace, scale t = sensitivity/epsilon: 2a/(1-a)^2 with a = exp(-1/t)
 *   (Canonne, Kamath, Steinke 2020);
 * - distributed discrete Laplace: a Polya share, the difference of two NegativeBinomial(1/T, a),
 *   has 1/T of that (2 (1/T) a/(1-a)^2);
 * - distributed discrete Gaussian: the share's exact variance sigma2 (gaussianShareVariance; the
 *   discrete Gaussian's variance is below sigma2 and within exp(-2 pi^2 sigma2) of it, CKS20
 *   Proposition 19, so sigma2 is the honest figure).
 * A block of sensitivity 0 is exact (variance 0).
 */
export function blockShareVariance(b: GaussianBlock, noise: RoundNoise): number {
  if (b.sensitivity === 0n) return 0;
  if (noise.mechanism === 'distributed-gaussian') {
    const s2 = gaussianShareVariance(b, noise);
    return s2 === null ? 0 : fractionValue(s2);
  }
  const inv = b.epsilonMicro / 1e6 / Number(b.sensitivity); // 1/t
  const a = Math.exp(-inv);
  const oneMinusA = -Math.expm1(-inv); // exact for tiny 1/t where 1 - a would cancel
  const shares = noise.mechanism === 'distributed-laplace' ? noise.contributors : 1;
  return (2 * a) / (oneMinusA * oneMinusA) / shares;
}

/**
 * Per-slot noise variance of an aggregate of `contributions` releases, in slot units, for error
 * bars computed away from the nodes (the coordinator). Every contributor adds its own draw, so
 * the variances add: n full Laplace draws in local mode; n Gaussian shares, each 1/T of the
 * noise, under distributed noise (n/T times the central variance; exactly it when n = T).
 */
export function layoutNoiseVariance(
  layout: { length: number; blocks: readonly VarianceBlock[] },
  contributions = 1,
  noise: RoundNoise = LOCAL_LAPLACE
): number[] {
  if (!Number.isSafeInteger(contributions) || contributions < 0) {
    throw new RangeError(`"contributions" expected a non-negative integer, got ${contributions}`);
  }
  const out = new Array<number>(layout.length).fill(0);
  for (const b of layout.blocks)
    out.fill(contributions * blockShareVariance(b, noise), b.offset, b.offset + b.length);
  return out;
}

/**
 * Tail margins for bounding one node's noisy slot (plaintext capacity): a discrete Laplace draw
 * exceeds 60 scales, and a discrete Gaussian 12 standard deviations, each with probability about
 * e^-60 or below, i.e. never in practice.
 */
export const NOISE_TAIL_SCALES = 60;
export const NOISE_TAIL_SIGMAS = 12;

/**
 * The largest |noise| one node adds to a slot of the block, but with probability under e^-60.
 * Distributed shares are bounded by the whole central noise (one contributor), which bounds the
 * share of any threshold: a Polya share is a thinning of the central geometric draws.
 */
export function blockNoiseTail(b: GaussianBlock, noise: RoundNoise): bigint {
  if (b.sensitivity === 0n) return 0n;
  if (noise.mechanism === 'distributed-gaussian') {
    const s2 = gaussianShareVariance(b, { ...noise, contributors: 1 });
    return s2 === null ? 0n : BigInt(Math.ceil(NOISE_TAIL_SIGMAS * Math.sqrt(fractionValue(s2))));
  }
  return BigInt(Math.ceil((NOISE_TAIL_SCALES * Number(b.sensitivity)) / (b.epsilonMicro / 1e6)));
}
