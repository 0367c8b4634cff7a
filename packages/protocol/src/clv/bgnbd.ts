import { digamma, hyp2f1, lnGamma } from './_special.ts';

/**
 * BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way", eq. 6): one
 * customer's log-likelihood given x repeat purchases, the time of the last one t_x and the age
 * T (all in the same time unit, weeks for CDNOW), and its analytic gradient. The parameters are
 * handled in log space, theta = (ln r, ln alpha, ln a, ln b), so every optimiser step keeps them
 * positive; the gradient is d ell / d theta_i = p_i d ell / d p_i. docs/clv.md "Model".
 */

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** One customer's calibration summary (frequency = repeat purchases). */
export interface RfmSummary {
  frequency: number;
  recency: number;
  T: number;
}

export const BG_NBD_DIM = 4;

export function bgNbdFromTheta(theta: readonly number[]): BgNbdParams {
  const [lr, la, lA, lb] = theta as [number, number, number, number];
  return { r: Math.exp(lr), alpha: Math.exp(la), a: Math.exp(lA), b: Math.exp(lb) };
}

export function bgNbdToTheta(p: BgNbdParams): number[] {
  return [Math.log(p.r), Math.log(p.alpha), Math.log(p.a), Math.log(p.b)];
}

/**
 * ell = A1 + A2 + ln(e^A3 + [x > 0] e^A4), with
 *   A1 = lnG(r+x) - lnG(r) + r ln alpha,  A2 = lnB(a, b+x) - lnB(a, b) written with lnG,
 *   A3 = -(r+x) ln(alpha+T),              A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x).
 * The log-sum-exp is taken around the larger term so neither underflows.
 */
export function bgNbdLogLik(theta: readonly number[], c: RfmSummary): number {
  return bgNbdTerms(theta, c).ell;
}

/** The gradient of bgNbdLogLik with respect to theta (log parameters). */
export function bgNbdGradient(theta: readonly number[], c: RfmSummary): number[] {
  return bgNbdTerms(theta, c).grad;
}

function bgNbdTerms(theta: readonly number[], c: RfmSummary): { ell: number; grad: number[] } {
  const { r, alpha, a, b } = bgNbdFromTheta(theta);
  const x = c.frequency;
  const A1 = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha);
  const A2 = lnGamma(a + b) + lnGamma(b + x) - lnGamma(b) - lnGamma(a + b + x);
  const A3 = -(r + x) * Math.log(alpha + c.T);
  // d/dp of A1 + A2 (p = r, alpha, a, b).
  const g12 = [
    digamma(r + x) - digamma(r) + Math.log(alpha),
    r / alpha,
    digamma(a + b) - digamma(a + b + x),
    digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x),
  ];
  const g3 = [-Math.log(alpha + c.T), -(r + x) / (alpha + c.T), 0, 0];
  let ell: number;
  let w3 = 1;
  let g4 = [0, 0, 0, 0];
  if (x > 0) {
    const A4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + c.recency);
    const m = Math.max(A3, A4);
    const s = Math.exp(A3 - m) + Math.exp(A4 - m);
    ell = A1 + A2 + m + Math.log(s);
    w3 = Math.exp(A3 - m) / s;
    g4 = [-Math.log(alpha + c.recency), -(r + x) / (alpha + c.recency), 1 / a, -1 / (b + x - 1)];
  } else {
    ell = A1 + A2 + A3;
  }
  const p = [r, alpha, a, b];
  const grad = p.map(
    (pi, i) => pi * ((g12[i] as number) + w3 * (g3[i] as number) + (1 - w3) * (g4[i] as number))
  );
  return { ell, grad };
}

/**
 * P(alive | x, t_x, T) (FHL 2005 eq. 12 of the technical note): 1 for x = 0 (the model lets a
 * customer drop out only right after a purchase), else
 *   1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
 */
export function bgNbdProbabilityAlive(p: BgNbdParams, c: RfmSummary): number {
  if (c.frequency === 0) return 1;
  const x = c.frequency;
  const ratio = Math.exp((p.r + x) * Math.log((p.alpha + c.T) / (p.alpha + c.recency)));
  return 1 / (1 + (p.a / (p.b + x - 1)) * ratio);
}

/**
 * E[Y(t) | x, t_x, T]: expected purchases in the next t periods (FHL 2005 eq. 10):
 *   (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
 *   / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
 * Needs a > 1 for the closed form's first factor to be positive; with a < 1 (CDNOW: 0.793) the
 * bracket is negative too and the product is still the (positive) expectation.
 */
export function bgNbdExpectedPurchases(p: BgNbdParams, c: RfmSummary, t: number): number {
  const x = c.frequency;
  const z = t / (p.alpha + c.T + t);
  const head = (p.a + p.b + x - 1) / (p.a - 1);
  const pow = Math.exp((p.r + x) * Math.log((p.alpha + c.T) / (p.alpha + c.T + t)));
  const bracket = 1 - pow * hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z);
  const alive =
    x > 0
      ? (p.a / (p.b + x - 1)) *
        Math.exp((p.r + x) * Math.log((p.alpha + c.T) / (p.alpha + c.recency)))
      : 0;
  return (head * bracket) / (1 + alive);
}
