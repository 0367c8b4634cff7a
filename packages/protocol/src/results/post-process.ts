/**
 * Post-processing of released figures before anyone reads them (docs/analytics.md
 * "Post-processing"): projection of figures that cannot be negative, and a reliability verdict
 * on ratios (means, rates). Both read only the already-released noisy values and public facts
 * (the query's clipping bounds, a fixed threshold), never the data, so they cost no privacy:
 * any function of an epsilon-DP output is epsilon-DP (Dwork & Roth 2014, Prop. 2.1).
 */
import { Z_95, type Estimate } from './estimate.ts';
import { formatCount, formatNumber } from './number-format.ts';

/**
 * Means and rates from a cell whose noisy count (or exposures) is under this are marked
 * unreliable. 20 is twice the default minimum cohort (10, docs/privacy.md "Minimum cohort"):
 * under it a node's share of the cell sits near its suppression threshold, so the cell may have
 * been zeroed at some nodes and not others (biased low), and the count's own noise (sd 2.8 at
 * epsilon 0.5 per block and node, more summed over nodes) is over a tenth of the count, where the
 * first-order delta-method interval of sum / count understates its error.
 */
export const MIN_RELIABLE_COUNT = 20;

/** A released count or sum after projection; `raw` is the noisy value before it. */
export interface ProjectedEstimate extends Estimate {
  raw: number;
}

/** A ratio (a mean, a rate) after projection, with a reliability verdict and its reason. */
export interface RatioEstimate extends ProjectedEstimate {
  unreliable: boolean;
  /** Why it is unreliable (`null` when it is not): the first rule that applies. */
  reason: string | null;
}

/**
 * Clamps the estimate and both ends of its interval into [lo, hi] (a projection onto the set of
 * possible values: it never moves an estimate away from any possible true value). `sd` stays
 * the noise's, and `raw` keeps the released value.
 */
export function projectEstimate(
  e: Estimate,
  lo = 0,
  hi = Number.POSITIVE_INFINITY
): ProjectedEstimate {
  const clamp = (x: number) => Math.min(hi, Math.max(lo, x));
  return {
    estimate: clamp(e.estimate),
    sd: e.sd,
    low: clamp(e.low),
    high: clamp(e.high),
    raw: e.estimate,
  };
}

/** A figure that is not projected (a sum of a measure that may be negative): `raw` = estimate. */
export function unprojected(e: Estimate): ProjectedEstimate {
  return { ...e, raw: e.estimate };
}

export interface RatioJudgement {
  /** The ratio as computed from the raw noisy figures, before projection. */
  ratio: Estimate;
  /** Its raw noisy denominator (a count, or exposures). */
  denominator: number;
  /** What the denominator is called in the reason (`count`, `exposures`). */
  denominatorName: string;
  minCount: number;
  /** Possible values of the ratio: the measure's clipping bounds, [0, 1] for a rate. */
  bounds: readonly [number, number];
}

/**
 * Projects a ratio into its bounds and judges it. It is unreliable when its denominator is under
 * `minCount`; when its 95% half-width (1.96 sd) exceeds its raw estimate in magnitude (the
 * interval then spans zero and more, so even the sign is not known); or when its raw estimate
 * lies outside its bounds (only noise can put it there, and the projected value, a bound, would
 * otherwise look exact).
 */
export function judgeRatio(j: RatioJudgement): RatioEstimate {
  const half = Z_95 * j.ratio.sd;
  const raw = j.ratio.estimate;
  let reason: string | null = null;
  if (j.denominator < j.minCount) {
    reason = `${j.denominatorName} ${formatCount(j.denominator)} is under ${formatCount(j.minCount)}`;
  } else if (half > Math.abs(raw)) {
    reason = `95% interval half-width ${formatNumber(half)} exceeds the estimate ${formatNumber(raw)}`;
  } else if (raw < j.bounds[0] || raw > j.bounds[1]) {
    reason = `noisy estimate ${formatNumber(raw)} is outside its possible range [${formatNumber(j.bounds[0])}, ${formatNumber(j.bounds[1])}]`;
  }
  return {
    ...projectEstimate(j.ratio, j.bounds[0], j.bounds[1]),
    unreliable: reason !== null,
    reason,
  };
}

export function checkMinCount(minCount: number): number {
  if (!Number.isFinite(minCount) || minCount < 0) {
    throw new RangeError(
      `"minReliableCount" expected a finite non-negative number, got ${minCount}`
    );
  }
  return minCount;
}
