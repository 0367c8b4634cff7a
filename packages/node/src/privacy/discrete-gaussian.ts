import { bernoulliExpMinus } from './bernoulli.ts';
import { discreteLaplaceSampler } from './discrete-laplace.ts';

/**
 * Exact discrete Gaussian sampling, N_Z(0, sigma^2): P[X = x] proportional to
 * exp(-x^2 / (2 sigma^2)) over the integers (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian
 * for Differential Privacy", Algorithm 3). sigma^2 is a rational num/den; every probability is a
 * rational or exp(-rational) decided by the exact Bernoulli trials of bernoulli.ts, and the
 * proposal is the exact discrete Laplace of discrete-laplace.ts: no floating point touches a
 * probability (docs/privacy.md).
 *
 * Algorithm 3: t = floor(sigma) + 1; repeat Y <- discrete Laplace(t) until
 * Bernoulli(exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2))) succeeds; return Y.
 */

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/** floor(sqrt(n)) for n >= 0, by Newton's method on bigints. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError(`"n" expected >= 0, got ${n}`);
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

function checkVariance(num: bigint, den: bigint): void {
  if (typeof num !== 'bigint' || typeof den !== 'bigint')
    throw new TypeError('"sigma2Num" and "sigma2Den" expected bigints');
  if (num < 1n || den < 1n)
    throw new RangeError(`sigma^2 expected a positive fraction, got ${num}/${den}`);
}

/** A sampler of N_Z(0, num/den); the fraction is reduced and t fixed once. */
export function discreteGaussianSampler(sigma2Num: bigint, sigma2Den: bigint): () => bigint {
  checkVariance(sigma2Num, sigma2Den);
  const g = gcd(sigma2Num, sigma2Den);
  const p = sigma2Num / g;
  const q = sigma2Den / g;
  // floor(sigma) = floor(sqrt(p/q)) = isqrt(floor(p/q)).
  const t = isqrt(p / q) + 1n;
  const laplace = discreteLaplaceSampler(t, 1n);
  // gamma = (|Y| - p/(q t))^2 / (2 p/q) = (|Y| q t - p)^2 / (2 p q t^2).
  const den = 2n * p * q * t * t;
  return () => {
    for (;;) {
      const y = laplace();
      const abs = y < 0n ? -y : y;
      const d = abs * q * t - p;
      if (bernoulliExpMinus(d * d, den)) return y;
    }
  };
}

/** One exact draw of N_Z(0, sigma2Num / sigma2Den). */
export function sampleDiscreteGaussian(sigma2Num: bigint, sigma2Den: bigint): bigint {
  return discreteGaussianSampler(sigma2Num, sigma2Den)();
}

/**
 * The exact pmf's normalised values for |x| <= bound (floats: for tests and reporting only).
 * Its variance is below sigma^2 and within exp(-2 pi^2 sigma^2) of it (CKS20 Proposition 19).
 */
export function discreteGaussianPmf(sigma2: number, bound: number): Map<number, number> {
  const w = new Map<number, number>();
  let z = 0;
  for (let x = -bound; x <= bound; x++) {
    const v = Math.exp(-(x * x) / (2 * sigma2));
    w.set(x, v);
    z += v;
  }
  for (const [x, v] of w) w.set(x, v / z);
  return w;
}
