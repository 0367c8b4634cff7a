import { geometricSampler } from './discrete-laplace.ts';
import { randomBelow } from './random.ts';

/**
 * Exact distributed discrete Laplace shares (docs/privacy.md "Distributed noise"): each of T
 * contributors adds X - Y with X, Y ~ NegativeBinomial(1/T, a) (the Polya distribution), so the
 * sum over T contributors is Geometric(a) - Geometric(a): exactly the central discrete Laplace
 * with a = exp(-1/t), whatever T (the geometric is infinitely divisible; Goryczka and Xiong 2017,
 * Balle et al. 2020). A sum over m > T contributors carries m/T times that variance, never less.
 *
 * NegativeBinomial(r, a) with r = 1/T is drawn exactly, with integers from the crypto RNG only:
 * 1. G ~ Geometric(a), the exact sampler of discrete-laplace.ts (CKS20 Algorithm 2's magnitude).
 * 2. K ~ BetaBinomial(G; r, 1 - r): a Binomial(G, B) thinning with B ~ Beta(r, 1 - r) turns
 *    Geometric(a) = NB(1, a) into NB(r, a) (pgf: E[(1 + theta B (1 - z))^-1] = (1 + theta (1 -
 *    z))^-r with theta = a/(1-a), the beta-gamma algebra).
 * 3. The beta-binomial is a Polya urn started with mass r white and 1 - r black, i.e. a Chinese
 *    restaurant with concentration 1 whose tables are coloured white with probability r. Its
 *    table sizes are the cycle lengths of a uniform random permutation of G elements (Feller's
 *    coupling), drawn one cycle at a time: the cycle through the first remaining element has a
 *    length uniform on 1..remaining. K is the total length of the white cycles.
 * Step 3 takes about ln G + 1 draws, so any noise scale is cheap.
 */

/** NegativeBinomial(1/shares, a) from a geometric draw: the white part of a random permutation. */
function thinnedGeometric(geometric: () => bigint, shares: bigint): bigint {
  let remaining = geometric();
  let white = 0n;
  while (remaining > 0n) {
    const cycle = randomBelow(remaining) + 1n;
    if (randomBelow(shares) === 0n) white += cycle;
    remaining -= cycle;
  }
  return white;
}

/**
 * A sampler of one contributor's share: X - Y, X and Y independent NegativeBinomial(1/shares, a)
 * with a = exp(-scaleDen/scaleNum). `shares` = 1 is the central discrete Laplace itself.
 */
export function polyaShareSampler(
  scaleNum: bigint,
  scaleDen: bigint,
  shares: number
): () => bigint {
  if (!Number.isSafeInteger(shares) || shares < 1)
    throw new RangeError(`"shares" expected a positive integer, got ${shares}`);
  const geometric = geometricSampler(scaleNum, scaleDen);
  const t = BigInt(shares);
  return () => thinnedGeometric(geometric, t) - thinnedGeometric(geometric, t);
}
