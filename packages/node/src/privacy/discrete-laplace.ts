import type { LayoutBlock } from '@fedmark/protocol';
import { bernoulliExpMinus, bernoulliExpMinusNumber, bernoulliExpMinusOne } from './bernoulli.ts';
import { randomBelow, randomBelowNumber, randomBit } from './random.ts';

/**
 * Exact discrete Laplace (two-sided geometric) sampling, CKS20 Algorithm 2: for scale t = n/d,
 * P[X = x] = ((1 - a) / (1 + a)) a^|x| with a = exp(-1/t). Only integer arithmetic and the exact
 * Bernoulli trials of bernoulli.ts; never the float inverse-CDF formula (Mironov 2012).
 */

/** An exact rational noise scale num/den (> 0). */
export interface NoiseScale {
  num: bigint;
  den: bigint;
}

const TWO_32 = 4294967296n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function checkScale(num: bigint, den: bigint): void {
  if (typeof num !== 'bigint' || typeof den !== 'bigint')
    throw new TypeError('"scaleNum" and "scaleDen" expected bigints');
  if (num < 1n || den < 1n) throw new RangeError(`scale expected > 0, got ${num}/${den}`);
}

/**
 * CKS20 Algorithm 2's one-sided part with integers t (numerator) and s (denominator), number
 * path: U ~ Uniform{0..t-1} accepted with probability exp(-U/t), V ~ Geometric(1 - exp(-1)), so
 * X = U + tV is geometric with ratio exp(-1/t), and Y = floor(X/s) is geometric with ratio
 * exp(-s/t): P[Y = y] = (1 - a) a^y, a = exp(-s/t).
 */
function geometricNumber(t: number, s: number): bigint {
  for (;;) {
    const u = randomBelowNumber(t);
    if (!bernoulliExpMinusNumber(u, t)) continue;
    let v = 0;
    while (bernoulliExpMinusOne()) v++;
    const x = u + t * v;
    // (x - x % s) / s is an exact integer quotient; Math.floor(x / s) could round up near 2^53.
    if (Number.isSafeInteger(x)) return BigInt((x - (x % s)) / s);
    return (BigInt(u) + BigInt(t) * BigInt(v)) / BigInt(s);
  }
}

function geometricBig(t: bigint, s: bigint): bigint {
  for (;;) {
    const u = randomBelow(t);
    if (!bernoulliExpMinus(u, t)) continue;
    let v = 0n;
    while (bernoulliExpMinusOne()) v++;
    return (u + t * v) / s;
  }
}

/**
 * An exact geometric sampler with ratio a = exp(-den/num) (P[Y = y] = (1 - a) a^y, y >= 0):
 * the fraction is reduced once and the fast number path chosen when t fits in 32 bits (so every
 * uniform draw is one word). The distributed Laplace shares start from it (polya.ts).
 */
export function geometricSampler(scaleNum: bigint, scaleDen: bigint): () => bigint {
  checkScale(scaleNum, scaleDen);
  const g = gcd(scaleNum, scaleDen);
  const t = scaleNum / g;
  const s = scaleDen / g;
  if (t <= TWO_32 && s <= MAX_SAFE) {
    const tn = Number(t);
    const sn = Number(s);
    return () => geometricNumber(tn, sn);
  }
  return () => geometricBig(t, s);
}

/**
 * CKS20 Algorithm 2: a geometric magnitude and a random sign, rejecting "-0" (so 0 is not
 * counted twice), for a fixed scale.
 */
export function discreteLaplaceSampler(scaleNum: bigint, scaleDen: bigint): () => bigint {
  const magnitude = geometricSampler(scaleNum, scaleDen);
  return () => {
    for (;;) {
      const y = magnitude();
      const negative = randomBit() === 1;
      if (negative && y === 0n) continue;
      return negative ? -y : y;
    }
  };
}

/** One exact draw of discrete Laplace noise with scale scaleNum/scaleDen. */
export function sampleDiscreteLaplace(scaleNum: bigint, scaleDen: bigint): bigint {
  return discreteLaplaceSampler(scaleNum, scaleDen)();
}

/** a = exp(-1/t), the pmf ratio (float: for reporting and tests, never for sampling). */
export function discreteLaplaceParameter(scaleNum: bigint, scaleDen: bigint): number {
  checkScale(scaleNum, scaleDen);
  return Math.exp(-Number(scaleDen) / Number(scaleNum));
}

/** Variance 2a / (1 - a)^2; 1 - a as -expm1(-1/t) keeps precision at large scales. */
export function discreteLaplaceVariance(scaleNum: bigint, scaleDen: bigint): number {
  checkScale(scaleNum, scaleDen);
  const inv = Number(scaleDen) / Number(scaleNum);
  const a = Math.exp(-inv);
  const oneMinusA = -Math.expm1(-inv);
  return (2 * a) / (oneMinusA * oneMinusA);
}

/**
 * Noise scale of a layout block: sensitivity / epsilon, with epsilon = epsilonMicro / 10^6, as
 * the exact rational (sensitivity * 10^6) / epsilonMicro (t = sensitivity/epsilon:
 * docs/privacy.md).
 */
export function blockNoiseScale(
  block: Pick<LayoutBlock, 'name' | 'sensitivity' | 'epsilonMicro'>
): NoiseScale {
  if (!Number.isSafeInteger(block.epsilonMicro) || block.epsilonMicro < 1) {
    throw new RangeError(
      `block "${block.name}": epsilonMicro expected a positive integer, got ${block.epsilonMicro}`
    );
  }
  if (block.sensitivity < 0n)
    throw new RangeError(`block "${block.name}": sensitivity must be >= 0`);
  return { num: block.sensitivity * 1_000_000n, den: BigInt(block.epsilonMicro) };
}

/** `num/den` for ledgers and reports. */
export function formatScale(s: NoiseScale): string {
  return `${s.num}/${s.den}`;
}
