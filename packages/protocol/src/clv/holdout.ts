import { bgNbdExpectedPurchases, type BgNbdParams, type RfmSummary } from './bgnbd.ts';

/**
 * The BG/NBD holdout test of Fader, Hardie and Lee 2005 (§4, Figure 4): the expected number of
 * transactions in the holdout period given each customer's calibration history, against the
 * actual, in total and by calibration frequency (groups 0 .. 6 and "7+").
 */

export interface HoldoutCustomer extends RfmSummary {
  holdout: number;
}

export interface HoldoutReport {
  predicted: number;
  actual: number;
  /** Per frequency group: customers, mean predicted and mean actual holdout transactions. */
  byFrequency: { group: string; customers: number; predicted: number; actual: number }[];
  /** Mean over the groups of |mean predicted - mean actual|. */
  groupMeanAbsError: number;
}

export const HOLDOUT_GROUPS = 8;

export function holdoutReport(
  p: BgNbdParams,
  customers: readonly HoldoutCustomer[],
  holdoutLength: number
): HoldoutReport {
  const n = new Array<number>(HOLDOUT_GROUPS).fill(0);
  const pred = new Array<number>(HOLDOUT_GROUPS).fill(0);
  const act = new Array<number>(HOLDOUT_GROUPS).fill(0);
  for (const c of customers) {
    const g = Math.min(c.frequency, HOLDOUT_GROUPS - 1);
    n[g] = (n[g] as number) + 1;
    pred[g] = (pred[g] as number) + bgNbdExpectedPurchases(p, c, holdoutLength);
    act[g] = (act[g] as number) + c.holdout;
  }
  const byFrequency = n.map((k, g) => ({
    group: g === HOLDOUT_GROUPS - 1 ? `${g}+` : String(g),
    customers: k,
    predicted: k > 0 ? (pred[g] as number) / k : 0,
    actual: k > 0 ? (act[g] as number) / k : 0,
  }));
  const used = byFrequency.filter((b) => b.customers > 0);
  return {
    predicted: pred.reduce((s, v) => s + v, 0),
    actual: act.reduce((s, v) => s + v, 0),
    byFrequency,
    groupMeanAbsError: used.reduce((s, b) => s + Math.abs(b.predicted - b.actual), 0) / used.length,
  };
}
