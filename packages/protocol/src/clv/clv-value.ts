import {
  bgNbdExpectedPurchases,
  bgNbdProbabilityAlive,
  type BgNbdParams,
  type RfmSummary,
} from './bgnbd.ts';
import { gammaGammaExpectedSpend, type GammaGammaParams } from './gamma-gamma.ts';

/**
 * Per-customer figures from fitted (joint) parameters: what a node computes locally for each of
 * its customers, never releases, and may use as segment fields (docs/clv.md "Per-customer").
 */

export interface ClvHorizon {
  /** Length of one discounting period in the model's time unit (weeks: 52/12 for a month). */
  periodLength: number;
  /** Number of periods. */
  periods: number;
  /** Discount rate per period. */
  discountRate: number;
}

/** 12 months at 1% a month, in weeks: the defaults of lifetimes' customer_lifetime_value. */
export const DEFAULT_CLV_HORIZON: ClvHorizon = {
  periodLength: 52 / 12,
  periods: 12,
  discountRate: 0.01,
};

export interface CustomerValue {
  expectedPurchases: number;
  pAlive: number;
  expectedSpend: number;
  clv: number;
}

/**
 * CLV = E[M | x, m_x] * sum_{k=1..K} (E[Y(k L)] - E[Y((k-1) L)]) / (1 + d)^k: the Gamma-Gamma
 * spend per transaction times the BG/NBD expected transactions in each period, discounted at
 * the period's end (the discrete form lifetimes uses; FHL 2005 "RFM and CLV" give the
 * continuous-time DERT, which this approximates period by period). `expectedPurchases` is
 * E[Y(K L)], the whole horizon.
 */
export function customerValue(
  bg: BgNbdParams,
  gg: GammaGammaParams,
  c: RfmSummary & { monetary: number },
  horizon: ClvHorizon = DEFAULT_CLV_HORIZON
): CustomerValue {
  const spend = gammaGammaExpectedSpend(gg, c);
  let prev = 0;
  let discounted = 0;
  for (let k = 1; k <= horizon.periods; k++) {
    const cum = bgNbdExpectedPurchases(bg, c, k * horizon.periodLength);
    discounted += (cum - prev) / (1 + horizon.discountRate) ** k;
    prev = cum;
  }
  return {
    expectedPurchases: prev,
    pAlive: bgNbdProbabilityAlive(bg, c),
    expectedSpend: spend,
    clv: spend * discounted,
  };
}
