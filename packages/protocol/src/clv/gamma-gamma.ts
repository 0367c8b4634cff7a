import { digamma, lnGamma } from './_special.ts';

/**
 * Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV: using iso-value curves for
 * customer base analysis"; the same as lifetimes' GammaGammaFitter): a customer's spend per
 * transaction is Gamma(p, nu), nu ~ Gamma(q, v) across customers. Fitted on customers with at
 * least one repeat purchase, from x (repeat purchases) and m_x (their mean spend). Parameters
 * in log space, theta = (ln p, ln q, ln v). docs/clv.md "Model".
 */

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

export interface SpendSummary {
  frequency: number;
  monetary: number;
}

export const GAMMA_GAMMA_DIM = 3;

export function gammaGammaFromTheta(theta: readonly number[]): GammaGammaParams {
  const [lp, lq, lv] = theta as [number, number, number];
  return { p: Math.exp(lp), q: Math.exp(lq), v: Math.exp(lv) };
}

export function gammaGammaToTheta(g: GammaGammaParams): number[] {
  return [Math.log(g.p), Math.log(g.q), Math.log(g.v)];
}

/**
 * ell = lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(v + x m)
 * (the density of the mean of x Gamma(p, nu) spends, integrated over nu; x >= 1, m > 0).
 */
export function gammaGammaLogLik(theta: readonly number[], c: SpendSummary): number {
  const { p, q, v } = gammaGammaFromTheta(theta);
  const { frequency: x, monetary: m } = c;
  const px = p * x;
  return (
    lnGamma(px + q) -
    lnGamma(px) -
    lnGamma(q) +
    q * Math.log(v) +
    (px - 1) * Math.log(m) +
    px * Math.log(x) -
    (px + q) * Math.log(v + x * m)
  );
}

/** The gradient of gammaGammaLogLik with respect to theta (log parameters). */
export function gammaGammaGradient(theta: readonly number[], c: SpendSummary): number[] {
  const { p, q, v } = gammaGammaFromTheta(theta);
  const { frequency: x, monetary: m } = c;
  const px = p * x;
  const L = Math.log(v + x * m);
  const dp = x * (digamma(px + q) - digamma(px) + Math.log(m) + Math.log(x) - L);
  const dq = digamma(px + q) - digamma(q) + Math.log(v) - L;
  const dv = q / v - (px + q) / (v + x * m);
  return [p * dp, q * dq, v * dv];
}

/**
 * E[M | x, m_x] = (q-1)/(px+q-1) * p v/(q-1) + px/(px+q-1) * m_x: the conditional mean spend
 * per transaction, a weighted mean of the population mean p v/(q-1) (needs q > 1) and the
 * customer's own; for x = 0 it is the population mean.
 */
export function gammaGammaExpectedSpend(g: GammaGammaParams, c: SpendSummary): number {
  const px = g.p * c.frequency;
  const pop = (g.p * g.v) / (g.q - 1);
  return ((g.q - 1) / (px + g.q - 1)) * pop + (px / (px + g.q - 1)) * c.monetary;
}
