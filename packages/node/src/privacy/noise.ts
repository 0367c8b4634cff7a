import type { LayoutBlock } from '@fedmark/protocol';
import { blockNoiseScale, discreteLaplaceSampler, discreteLaplaceVariance } from './discrete-laplace.ts';

/** What noising needs of a block: segment layouts (protocol layout.ts) and training round layouts both fit. */
export type NoiseBlock = Pick<LayoutBlock, 'name' | 'offset' | 'length' | 'sensitivity' | 'epsilonMicro'>;

/** A public vector layout: its blocks must cover every slot exactly once. */
export interface NoiseLayout {
  length: number;
  hash: string;
  blocks: readonly NoiseBlock[];
}

export interface NoisyVector {
  values: bigint[];
  /** Noise variance per slot (2a/(1-a)^2 of the slot's block), for error bars. */
  variance: number[];
}

/**
 * Adds independent discrete Laplace noise to EVERY slot, each with its block's scale
 * sensitivity/epsilon. Suppressed and zero slots are noised too: the output shape and the noise
 * never depend on the data, so which cells were suppressed does not show. By sequential
 * composition over the blocks the vector is (sum of block epsilons)-DP (DESIGN §3).
 *
 * A block with sensitivity 0 (clipping bounds that round to 0 at its fixed-point scale) is
 * identically 0 for every dataset, so it needs and gets no noise.
 */
export function addNoise(layout: NoiseLayout, values: readonly bigint[]): NoisyVector {
  if (values.length !== layout.length) {
    throw new RangeError(`"values" expected length ${layout.length} (layout ${layout.hash.slice(0, 12)}), got ${values.length}`);
  }
  const out = values.slice();
  const variance = new Array<number>(layout.length).fill(0);
  const covered = new Array<boolean>(layout.length).fill(false);
  for (const block of layout.blocks) {
    if (block.offset < 0 || block.offset + block.length > layout.length) {
      throw new RangeError(`block "${block.name}" lies outside the layout`);
    }
    const scale = blockNoiseScale(block);
    const sample = scale.num === 0n ? null : discreteLaplaceSampler(scale.num, scale.den);
    const v = sample === null ? 0 : discreteLaplaceVariance(scale.num, scale.den);
    for (let i = block.offset; i < block.offset + block.length; i++) {
      if (covered[i]) throw new RangeError(`slot ${i} belongs to two blocks`);
      covered[i] = true;
      if (sample !== null) out[i] = (out[i] as bigint) + sample();
      variance[i] = v;
    }
  }
  const gap = covered.indexOf(false);
  // A slot outside every block would leave the node un-noised: refuse rather than release it.
  if (gap >= 0) throw new RangeError(`slot ${gap} belongs to no block and would be released without noise`);
  return { values: out, variance };
}
