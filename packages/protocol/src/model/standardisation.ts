import { canonicalHash } from '../hashing.ts';
import type { Standardisation } from './feature-encoding.ts';
import { trainEpsilonPlan } from './round-layout.ts';
import type { NumericFeatureSpec, TrainSpec } from './train-spec.ts';

/**
 * Phase 1 of a train job: federated DP means and stds of the numeric features (docs/models.md §3).
 * Each value is clipped to its bounds and mapped to u = (x - mid) / half in [-1, 1] using only the
 * public bounds, so |u| <= 1 and u^2 <= 1 whatever the column's unit. Centring on the public
 * midpoint halves the sensitivity of the sum and quarters that of the sum of squares compared with
 * summing raw values in [0, upper] (the segment-query route, `standardisationQuery`): on wa_churn
 * this phase keeps the mean within about 3% of the range at epsilon 0.2.
 */

export type StandardisationBlockName = 'count' | 'positives' | 'present' | 'sum' | 'sumsq';

export interface StandardisationBlock {
  name: StandardisationBlockName;
  offset: number;
  length: number;
  scale: number;
  sensitivity: bigint;
  epsilonMicro: number;
}

export interface StandardisationLayout {
  /** Numeric feature columns, in spec order (one slot each in present/sum/sumsq). */
  columns: string[];
  blocks: StandardisationBlock[];
  length: number;
  epsilonMicro: number;
  hash: string;
}

/** Fixed point of u and u^2: 2^16 units per 1. */
export const STANDARDISATION_SCALE = 2 ** 16;

/** Relative epsilon weights inside phase 1: the moments carry the information, the counts are easy. */
const WEIGHTS: Record<StandardisationBlockName, number> = {
  count: 1,
  positives: 1,
  present: 1,
  sum: 4,
  sumsq: 4,
};

export function numericFeatures(spec: TrainSpec): NumericFeatureSpec[] {
  return spec.features.filter((f): f is NumericFeatureSpec => f.type === 'numeric');
}

/**
 * Blocks: `count` (rows), `positives` (rows with the positive label: the base rate starts the
 * intercept at its logit, so the first gradient carries the features' signal instead of a common
 * offset), `present` (non-missing values per column), `sum` of u, `sumsq` of u^2.
 * L1 sensitivities per customer (slot units): count, positives 1; present m (one per column); sum and sumsq
 * m * 2^16 + m/2 each (|u|, u^2 <= 1, plus rounding), m = number of numeric features.
 */
export function standardisationLayout(spec: TrainSpec): StandardisationLayout {
  const columns = numericFeatures(spec).map((f) => f.column);
  const m = columns.length;
  const s = STANDARDISATION_SCALE;
  const draft: Omit<StandardisationBlock, 'offset' | 'epsilonMicro'>[] = [
    { name: 'count', length: 1, scale: 1, sensitivity: 1n },
    { name: 'positives', length: 1, scale: 1, sensitivity: 1n },
  ];
  if (m > 0) {
    const moment = BigInt(Math.ceil(m * s + m / 2));
    draft.push(
      { name: 'present', length: m, scale: 1, sensitivity: BigInt(m) },
      { name: 'sum', length: m, scale: s, sensitivity: moment },
      { name: 'sumsq', length: m, scale: s, sensitivity: moment }
    );
  }
  const total = trainEpsilonPlan(spec).standardisationMicro;
  const weights = draft.map((b) => WEIGHTS[b.name]);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => Math.floor((total * w) / wsum));
  shares[0] = (shares[0] as number) + total - shares.reduce((a, b) => a + b, 0);
  let offset = 0;
  const blocks = draft.map((b, i) => {
    const out = { ...b, offset, epsilonMicro: shares[i] as number };
    offset += b.length;
    return out;
  });
  const hash = canonicalHash('train-standardisation-layout', {
    columns,
    blocks: blocks.map((b) => ({ ...b })),
  });
  return { columns, blocks, length: offset, epsilonMicro: total, hash };
}

/** u = (clip(x) - mid) / half, the value phase 1 sums; null for a missing value. */
export function unitValue(f: NumericFeatureSpec, x: number | null): number | null {
  if (x === null) return null;
  const mid = (f.lower + f.upper) / 2;
  const half = (f.upper - f.lower) / 2;
  return (Math.min(f.upper, Math.max(f.lower, x)) - mid) / half;
}

/**
 * Means and stds from the aggregated phase-1 vector. Post-processing of noisy values: the mean
 * is clamped into [lower, upper] and the std into [range/8, range/2] (a variable in [lower, upper]
 * has std at most range/2; the floor keeps a noisy near-zero variance from producing huge
 * z-values that would swamp every record's clipped gradient).
 */
export function standardisationFromAggregate(
  spec: TrainSpec,
  layout: StandardisationLayout,
  values: readonly bigint[]
): Standardisation {
  if (values.length !== layout.length)
    throw new RangeError(`aggregate expected ${layout.length} slots, got ${values.length}`);
  const block = (name: StandardisationBlockName) => layout.blocks.find((b) => b.name === name);
  const means: Record<string, number> = {};
  const stds: Record<string, number> = {};
  numericFeatures(spec).forEach((f, j) => {
    const read = (name: StandardisationBlockName): number => {
      const b = block(name);
      if (!b) throw new RangeError(`standardisation layout lacks block ${name}`);
      return Number(values[b.offset + j] as bigint) / b.scale;
    };
    const n = Math.max(1, read('present'));
    const mid = (f.lower + f.upper) / 2;
    const half = (f.upper - f.lower) / 2;
    const meanU = Math.min(1, Math.max(-1, read('sum') / n));
    const varU = read('sumsq') / n - meanU * meanU;
    const range = f.upper - f.lower;
    means[f.column] = mid + half * meanU;
    stds[f.column] = Math.min(range / 2, Math.max(range / 8, half * Math.sqrt(Math.max(0, varU))));
  });
  const count = Number(values[block('count')?.offset ?? 0] as bigint);
  const positives = Number(values[block('positives')?.offset ?? 0] as bigint);
  // Clamp the noisy base rate into [1%, 99%] so the starting intercept stays finite.
  const positiveRate = Math.min(0.99, Math.max(0.01, positives / Math.max(1, count)));
  return { means, stds, positiveRate };
}
