/**
 * Internal: regularized incomplete beta function and its inverse, for Clopper-Pearson bounds in
 * the DP audit. Reporting/testing code, not sampling code, so floating point is fine here.
 * Formulas: DLMF 5.11.1 (Stirling series for ln Gamma), DLMF 8.17.22 (continued fraction for
 * I_x(a, b), evaluated with the modified Lentz method), DLMF 8.17.4 (symmetry).
 */

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Gamma(x) for x > 0: Stirling series at x >= 15 (error under 1e-15), upward recurrence below. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma expected x > 0, got ${x}`);
  let shift = 0;
  while (x < 15) {
    shift += Math.log(x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series =
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + series - shift;
}

function continuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 100_000; m++) {
    // Even step d_{2m}, then odd step d_{2m+1} (DLMF 8.17.22).
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + even * d;
    c = 1 + even / c;
    if (Math.abs(d) < tiny) d = tiny;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + odd * d;
    c = 1 + odd / c;
    if (Math.abs(d) < tiny) d = tiny;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    f *= step;
    if (Math.abs(step - 1) < 1e-15) return f;
  }
  throw new RangeError(`incomplete beta did not converge (x=${x}, a=${a}, b=${b})`);
}

/** I_x(a, b), the regularized incomplete beta function, for a, b > 0 and x in [0, 1]. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront =
    a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  // The fraction converges quickly for x < (a+1)/(a+b+2); otherwise use I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * continuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * continuedFraction(1 - x, b, a)) / b;
}

/** x with I_x(a, b) = p, by bisection (I is increasing in x); p is meant to be small. */
export function inverseRegularizedBeta(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-16 * Math.max(lo, 1e-300); i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
