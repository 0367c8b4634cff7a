/**
 * A released figure with its error bar. Intervals are normal approximations at 95%:
 * estimate ± 1.96·sd. DP noise of a discrete Laplace release is not normal, but a release sums
 * independent noise over slots and nodes, and the interval is reported as the usual Wald-type
 * bar; `sd` is exact for the noise part, so a reader can build other intervals from it.
 */
export interface Estimate {
  estimate: number;
  /** Standard deviation: sqrt of the variance the estimate carries (noise, and sampling where stated). */
  sd: number;
  low: number;
  high: number;
}

/** Two-sided 95% normal quantile, as documented (1.96 rather than 1.959964 keeps bars readable). */
export const Z_95 = 1.96;

export function estimateOf(estimate: number, variance: number): Estimate {
  const sd = Math.sqrt(variance > 0 ? variance : 0);
  return { estimate, sd, low: estimate - Z_95 * sd, high: estimate + Z_95 * sd };
}

/**
 * Variance of the ratio a / b of two independent estimates by the delta method (first-order
 * Taylor expansion): Var(a)/b^2 + a^2·Var(b)/b^4. Callers ensure b is not 0.
 */
export function ratioVariance(a: number, varA: number, b: number, varB: number): number {
  const b2 = b * b;
  return varA / b2 + (a * a * varB) / (b2 * b2);
}
