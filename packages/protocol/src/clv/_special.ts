/**
 * Internal: the special functions the CLV likelihoods need, in float64. ln Gamma by the Lanczos
 * approximation (g = 7, 9 terms: relative error about 1e-15, Numerical Recipes 3rd ed. §6.1),
 * digamma by recurrence to x >= 6 then its asymptotic series (Abramowitz and Stegun 6.3.18), and
 * the Gauss hypergeometric 2F1 by its power series (|z| < 1; the BG/NBD conditional expectation
 * only ever asks for z = t / (alpha + T + t) < 1).
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma expected x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0] as number;
  for (let i = 1; i < 9; i++) s += (LANCZOS[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

export function digamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`digamma expected x > 0, got ${x}`);
  let acc = 0;
  let y = x;
  while (y < 6) {
    acc -= 1 / y;
    y += 1;
  }
  const f = 1 / (y * y);
  return (
    acc +
    Math.log(y) -
    0.5 / y -
    f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))
  );
}

/** 2F1(a, b; c; z) for 0 <= z < 1 by its series, to relative 1e-15 (or 100,000 terms). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 expected 0 <= z < 1, got ${z}`);
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 100_000; k++) {
    term *= ((a + k) * (b + k) * z) / ((c + k) * (k + 1));
    sum += term;
    if (Math.abs(term) < 1e-15 * Math.abs(sum)) break;
  }
  return sum;
}
