import { randomBelow, randomBelowNumber } from './random.ts';

/**
 * Exact Bernoulli trials with rational parameters (Canonne, Kamath, Steinke 2020, "The Discrete
 * Gaussian for Differential Privacy", Algorithm 1). Only integer comparisons against uniform
 * integers: no floating point touches a probability, so the output distribution is exactly the
 * stated one (Mironov 2012 shows how float samplers leak).
 *
 * Two implementations of the same algorithm: JS numbers while every operand is a safe integer
 * (integers below 2^53 are exact in IEEE 754 doubles), bigint beyond that.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Bernoulli(num / den), 0 <= num <= den, number path. */
function bernoulliRationalNumber(num: number, den: number): boolean {
  return randomBelowNumber(den) < num;
}

/**
 * Bernoulli(exp(-num/den)) for 0 <= num/den <= 1 (CKS20 Algorithm 1, gamma in [0, 1]): draw
 * A_k ~ Bernoulli(gamma / k) for k = 1, 2, ... until one is 0; P[stop at odd k] = exp(-gamma).
 */
function expMinusUnitNumber(num: number, den: number): boolean {
  let k = 1;
  for (;;) {
    const m = den * k;
    const hit =
      m <= MAX_SAFE
        ? bernoulliRationalNumber(num, m)
        : randomBelow(BigInt(den) * BigInt(k)) < BigInt(num);
    if (!hit) return k % 2 === 1;
    k++;
  }
}

/** Bernoulli(exp(-1)) for the geometric loop of the discrete Laplace sampler. */
export function bernoulliExpMinusOne(): boolean {
  return expMinusUnitNumber(1, 1);
}

/**
 * Bernoulli(exp(-num/den)) for safe integers num >= 0, den >= 1. For gamma > 1 (CKS20 Algorithm 1,
 * second branch): exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))), one trial
 * per factor, stopping at the first failure.
 */
export function bernoulliExpMinusNumber(num: number, den: number): boolean {
  if (num <= den) return expMinusUnitNumber(num, den);
  const rem = num % den;
  const whole = (num - rem) / den;
  for (let i = 0; i < whole; i++) if (!expMinusUnitNumber(1, 1)) return false;
  return expMinusUnitNumber(rem, den);
}

function expMinusUnitBig(num: bigint, den: bigint): boolean {
  let k = 1n;
  for (;;) {
    if (!(randomBelow(den * k) < num)) return k % 2n === 1n;
    k++;
  }
}

/**
 * Bernoulli(exp(-num/den)), exactly, for a rational gamma = num/den >= 0.
 * @throws RangeError when den <= 0 or num < 0.
 */
export function bernoulliExpMinus(num: bigint, den: bigint): boolean {
  if (typeof num !== 'bigint' || typeof den !== 'bigint')
    throw new TypeError('"num" and "den" expected bigints');
  if (den < 1n) throw new RangeError(`"den" expected >= 1, got ${den}`);
  if (num < 0n) throw new RangeError(`"num" expected >= 0, got ${num}`);
  if (num <= BigInt(MAX_SAFE) && den <= BigInt(MAX_SAFE))
    return bernoulliExpMinusNumber(Number(num), Number(den));
  if (num <= den) return expMinusUnitBig(num, den);
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!expMinusUnitNumber(1, 1)) return false;
  return expMinusUnitBig(num % den, den);
}
