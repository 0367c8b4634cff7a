import { ProtocolError } from '@fedmark/protocol';
import { discreteLaplaceSampler } from '../privacy/discrete-laplace.ts';

/**
 * The responder's noise for one overlap figure (docs/overlap.md "Noise through dummies"): an exact
 * discrete Laplace draw L with scale 1/epsilon (CKS20, cryptographic RNG), redrawn until
 * |L| <= bound, so the conditional distribution is exactly the truncated one the delta of
 * overlapNoiseDelta describes. Returns the number of matching dummies, bound + L in [0, 2 bound].
 */
export function overlapDummyCount(epsilonMicro: number, bound: number): number {
  if (!Number.isSafeInteger(bound) || bound < 1)
    throw new ProtocolError(
      'INTERNAL',
      `overlap noise bound must be a positive integer, got ${bound}`
    );
  const draw = discreteLaplaceSampler(1_000_000n, BigInt(epsilonMicro));
  const limit = BigInt(bound);
  for (;;) {
    const l = draw();
    if (l >= -limit && l <= limit) return bound + Number(l);
  }
}
