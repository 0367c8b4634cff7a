import {
  LOCAL_LAPLACE,
  fractionValue,
  gaussianShareVariance,
  type LayoutBlock,
  type RoundNoise,
} from '@fedmark/protocol';
import { discreteGaussianSampler } from './discrete-gaussian.ts';
import { polyaShareSampler } from './polya.ts';
import {
  blockNoiseScale,
  discreteLaplaceSampler,
  discreteLaplaceVariance,
} from './discrete-laplace.ts';

/** What noising needs of a block: segment layouts (protocol layout.ts) and training round layouts both fit. */
export type NoiseBlock = Pick<
  LayoutBlock,
  'name' | 'offset' | 'length' | 'sensitivity' | 'epsilonMicro'
> & {
  /**
   * Blocks in different named partitions read disjoint sets of customers (e.g. a model's
   * training and validation customers), so they compose in parallel; blocks in one partition,
   * and blocks without one (they read everyone), compose sequentially. See layoutEpsilonMicro.
   */
  partition?: string;
  /** L2 sensitivity when tighter than the L1 one (the Gaussian uses it: a clipped gradient). */
  l2Sensitivity?: bigint;
};

/**
 * The epsilon a layout's release costs, in micro-epsilon: the blocks without a partition read
 * every customer and add up (sequential composition); on top of them, the partitions cost
 * their most expensive one (parallel composition over disjoint customer sets, McSherry 2009,
 * Theorem 4), each partition's blocks adding up within it.
 */
export function layoutEpsilonMicro(layout: Pick<NoiseLayout, 'blocks'>): number {
  let shared = 0;
  const partitions = new Map<string, number>();
  for (const b of layout.blocks) {
    if (b.partition === undefined) shared += b.epsilonMicro;
    else partitions.set(b.partition, (partitions.get(b.partition) ?? 0) + b.epsilonMicro);
  }
  return shared + Math.max(0, ...partitions.values());
}

/** A public vector layout: its blocks must cover every slot exactly once. */
export interface NoiseLayout {
  length: number;
  hash: string;
  blocks: readonly NoiseBlock[];
}

export interface NoisyVector {
  values: bigint[];
  /** This node's noise variance per slot (Laplace 2a/(1-a)^2, or the Gaussian share's sigma^2). */
  variance: number[];
}

/** One block's sampler and per-slot variance under the round's mechanism (null: no noise needed). */
function blockSampler(
  block: NoiseBlock,
  noise: RoundNoise
): { sample: () => bigint; variance: number } | null {
  if (noise.mechanism === 'distributed-gaussian') {
    const s2 = gaussianShareVariance(block, noise);
    if (s2 === null) return null;
    return { sample: discreteGaussianSampler(s2.num, s2.den), variance: fractionValue(s2) };
  }
  const scale = blockNoiseScale(block);
  if (scale.num === 0n) return null;
  const variance = discreteLaplaceVariance(scale.num, scale.den);
  if (noise.mechanism === 'distributed-laplace')
    return {
      sample: polyaShareSampler(scale.num, scale.den, noise.contributors),
      variance: variance / noise.contributors,
    };
  return { sample: discreteLaplaceSampler(scale.num, scale.den), variance };
}

/**
 * Adds independent noise to EVERY slot: by default discrete Laplace with its block's scale
 * sensitivity/epsilon; under `distributed-laplace` this node's Polya share of that noise (the
 * sum of `noise.contributors` shares is exactly it: polya.ts); under `distributed-gaussian` its
 * discrete Gaussian share (protocol gaussianShareVariance: the sum of `noise.contributors`
 * shares carries the block's rho). docs/privacy.md "Distributed noise". Suppressed and zero slots are noised too: the output shape and the noise
 * never depend on the data, so which cells were suppressed does not show. By sequential
 * composition over the blocks (parallel across partitions) the vector is
 * layoutEpsilonMicro(layout)-DP (docs/privacy.md "Noise: exact discrete Laplace").
 *
 * A block with sensitivity 0 (clipping bounds that round to 0 at its fixed-point scale) is
 * identically 0 for every dataset, so it needs and gets no noise.
 */
export function addNoise(
  layout: NoiseLayout,
  values: readonly bigint[],
  noise: RoundNoise = LOCAL_LAPLACE
): NoisyVector {
  if (values.length !== layout.length) {
    throw new RangeError(
      `"values" expected length ${layout.length} (layout ${layout.hash.slice(0, 12)}), got ${values.length}`
    );
  }
  const out = values.slice();
  const variance = new Array<number>(layout.length).fill(0);
  const covered = new Array<boolean>(layout.length).fill(false);
  for (const block of layout.blocks) {
    if (block.offset < 0 || block.offset + block.length > layout.length) {
      throw new RangeError(`block "${block.name}" lies outside the layout`);
    }
    const s = blockSampler(block, noise);
    for (let i = block.offset; i < block.offset + block.length; i++) {
      if (covered[i]) throw new RangeError(`slot ${i} belongs to two blocks`);
      covered[i] = true;
      if (s !== null) out[i] = (out[i] as bigint) + s.sample();
      variance[i] = s?.variance ?? 0;
    }
  }
  const gap = covered.indexOf(false);
  // A slot outside every block would leave the node un-noised: refuse rather than release it.
  if (gap >= 0)
    throw new RangeError(`slot ${gap} belongs to no block and would be released without noise`);
  return { values: out, variance };
}
