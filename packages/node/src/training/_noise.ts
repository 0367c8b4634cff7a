import { discreteLaplaceSampler, discreteLaplaceVariance } from '../privacy/discrete-laplace.ts';

/** A block of a release layout: slots [offset, offset+length) share one noise scale. */
interface NoiseBlock {
  offset: number;
  length: number;
  sensitivity: bigint;
  epsilonMicro: number;
}

/**
 * Adds exact discrete Laplace noise (CKS20) with scale sensitivity / epsilon to every slot of
 * every block, as the rational (sensitivity * 10^6) / epsilonMicro (DESIGN §3). Every slot is
 * noised, zero or not, so the output shape never depends on the data. Returns the per-slot
 * noise variance (slot units) for error bars.
 */
export function addBlockNoise(blocks: readonly NoiseBlock[], values: bigint[]): number[] {
  const variance = new Array<number>(values.length).fill(0);
  for (const b of blocks) {
    if (b.epsilonMicro < 1 || b.sensitivity < 1n) throw new RangeError('noise block needs epsilonMicro >= 1 and sensitivity >= 1');
    const num = b.sensitivity * 1_000_000n;
    const den = BigInt(b.epsilonMicro);
    const sample = discreteLaplaceSampler(num, den);
    const v = discreteLaplaceVariance(num, den);
    for (let i = b.offset; i < b.offset + b.length; i++) {
      values[i] = (values[i] as bigint) + sample();
      variance[i] = v;
    }
  }
  return variance;
}
