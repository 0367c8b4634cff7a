import { z } from 'zod';
import type { SegmentQuery } from '../schemas/segment-query.ts';
import { OTHER_CATEGORY, type TrainSpec } from './train-spec.ts';

/**
 * Feature encoding shared by training (node), the optimiser (coordinator) and scoring (anyone
 * with the model file). Column 0 is the intercept (always 1); numeric columns are clipped to
 * their bounds then standardised with the FEDERATED mean/std (never one node's own: docs/models.md
 * §2-3); categorical columns are one-hot over the declared categories plus `__other__`.
 */

export const EncodedFeatureSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('numeric'),
    column: z.string().min(1),
    lower: z.number().finite(),
    upper: z.number().finite(),
    mean: z.number().finite(),
    std: z.number().finite().positive(),
  }),
  z.object({
    type: z.literal('categorical'),
    column: z.string().min(1),
    categories: z.array(z.string().min(1)).min(1),
  }),
]);
export type EncodedFeature = z.infer<typeof EncodedFeatureSchema>;

/** Federated means and standard deviations of the numeric features, by column (raw units). */
export interface Standardisation {
  means: Record<string, number>;
  stds: Record<string, number>;
  /** Federated (noisy) share of positive labels, if phase 1 released it: starts the intercept. */
  positiveRate?: number;
}

/** A raw input row: column name to value (CSV text, number, or missing). */
export type RawRow = Readonly<Record<string, string | number | null | undefined>>;

export const INTERCEPT = '(intercept)';

/** Name of each encoded column, in order: `(intercept)`, numeric `col`, one-hot `col=value`. */
export function encodedNames(encoding: readonly EncodedFeature[]): string[] {
  const names = [INTERCEPT];
  for (const f of encoding) {
    if (f.type === 'numeric') names.push(f.column);
    else for (const c of [...f.categories, OTHER_CATEGORY]) names.push(`${f.column}=${c}`);
  }
  return names;
}

/** The encoding of a spec once the standardisation phase has produced means and stds. */
export function encodingOf(spec: TrainSpec, std: Standardisation): EncodedFeature[] {
  return spec.features.map((f) => {
    if (f.type === 'categorical')
      return { type: 'categorical', column: f.column, categories: [...f.categories] };
    const mean = std.means[f.column];
    const sd = std.stds[f.column];
    if (mean === undefined || sd === undefined || !(sd > 0) || !Number.isFinite(mean)) {
      throw new RangeError(
        `standardisation lacks a finite mean and positive std for numeric feature "${f.column}"`
      );
    }
    return { type: 'numeric', column: f.column, lower: f.lower, upper: f.upper, mean, std: sd };
  });
}

/** A finite number from a cell (number or numeric text), or null if missing/`NA`/not numeric. */
export function parseNumeric(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const t = v.trim();
  if (t === '' || t.toUpperCase() === 'NA') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * Encodes one row. A missing or non-numeric numeric value encodes as 0 (the federated mean); a
 * missing or undeclared category goes to `__other__`.
 */
export function encodeRow(encoding: readonly EncodedFeature[], row: RawRow): Float64Array {
  const out: number[] = [1];
  for (const f of encoding) {
    const raw = row[f.column];
    if (f.type === 'numeric') {
      const v = parseNumeric(raw);
      out.push(v === null ? 0 : (Math.min(f.upper, Math.max(f.lower, v)) - f.mean) / f.std);
    } else {
      const s = raw === null || raw === undefined ? '' : String(raw);
      const at = f.categories.indexOf(s);
      for (let i = 0; i <= f.categories.length; i++)
        out.push(i === (at < 0 ? f.categories.length : at) ? 1 : 0);
    }
  }
  return Float64Array.from(out);
}

/** `encodeRow` with the encoding built from a spec and its standardisation. */
export function encodeFeatures(spec: TrainSpec, std: Standardisation, row: RawRow): Float64Array {
  return encodeRow(encodingOf(spec, std), row);
}

/**
 * Public per-record bounds of an encoded row, used for sensitivities: `k` = most non-zero
 * columns (intercept + one per feature), `l1` >= |x|_1, `l2sq` >= |x|_2^2, `linf` >= |x_j|.
 */
export interface EncodingBounds {
  k: number;
  l1: number;
  l2sq: number;
  linf: number;
}

export function encodingBounds(encoding: readonly EncodedFeature[]): EncodingBounds {
  let l1 = 1;
  let l2sq = 1;
  let linf = 1;
  for (const f of encoding) {
    const z =
      f.type === 'numeric'
        ? Math.max(Math.abs(f.lower - f.mean), Math.abs(f.upper - f.mean)) / f.std
        : 1;
    l1 += z;
    l2sq += z * z;
    linf = Math.max(linf, z);
  }
  return { k: 1 + encoding.length, l1, l2sq, linf };
}

/** Fixed-point scale for a numeric column's sums in the standardisation query: ~1000 units per max |bound|. */
function measureScale(lower: number, upper: number): number {
  return Math.max(
    1,
    Math.min(1_000_000, Math.round(1000 / Math.max(Math.abs(lower), Math.abs(upper))))
  );
}

/**
 * Phase 1 of a train job as a segment-statistics query (no dimensions): count, and per numeric
 * feature the clipped sum and sum of squares, fixed point. Its epsilon is the job's
 * standardisation share (see `trainEpsilonPlan`).
 */
export function standardisationQuery(
  spec: TrainSpec,
  opts: { asOf: string; epsilon: number }
): SegmentQuery {
  const measures = spec.features
    .filter((f) => f.type === 'numeric')
    .map((f) => {
      const scale = measureScale(f.lower, f.upper);
      return {
        field: `table.${spec.table}.${f.column}`,
        lower: f.lower,
        upper: f.upper,
        scale,
        squares: true,
        squareScale: scale,
      };
    });
  return {
    version: 1,
    kind: 'segment_stats',
    name: `standardisation for ${spec.name}`,
    purpose: 'model_training',
    unit: 'customer',
    maxRowsPerCustomer: 1,
    asOf: opts.asOf,
    dimensions: [],
    measures,
    params: {
      lifecycle: { introMonths: 3, growthMonths: 12, matureMonths: 36, declineInactiveDays: 90 },
      nes: { newDays: 30, multiples: [1.5, 2.5, 3.5], defaultCycleDays: 90 },
      rfm: {
        scoreThresholds: {
          recency: [30, 90, 180, 365],
          frequency: [2, 3, 5, 10],
          monetary: [50, 100, 250, 500],
        },
      },
    },
    epsilon: opts.epsilon,
    epsilonWeights: {},
  };
}

/** Aggregated (noisy) result of the standardisation query, in slot units, by measure field. */
export interface StandardisationResult {
  count: number;
  sums: Record<string, number>;
  sumsq: Record<string, number>;
}

/**
 * Means and stds from the noisy phase-1 sums. Noise can push a mean outside the bounds or a
 * variance below 0: the mean is clamped into [lower, upper] and the std into [range/8, range/2]
 * (post-processing, no privacy cost). A bad standardisation only rescales a feature, which
 * the model absorbs; it never makes training and scoring disagree (both use the stored values).
 */
export function standardisationFromResult(
  spec: TrainSpec,
  result: StandardisationResult
): Standardisation {
  const n = Math.max(1, result.count);
  const means: Record<string, number> = {};
  const stds: Record<string, number> = {};
  for (const f of spec.features) {
    if (f.type !== 'numeric') continue;
    const field = `table.${spec.table}.${f.column}`;
    const sum = result.sums[field];
    const sumsq = result.sumsq[field];
    if (sum === undefined || sumsq === undefined)
      throw new RangeError(`standardisation result lacks sums for "${field}"`);
    const scale = measureScale(f.lower, f.upper);
    const mean = Math.min(f.upper, Math.max(f.lower, sum / scale / n));
    const variance = sumsq / (scale * scale) / n - mean * mean;
    // A variable in [lower, upper] has std at most range/2. The floor range/8 keeps a noisy,
    // near-zero variance estimate from turning the feature into huge z-values that would swamp
    // every record's clipped gradient; a true std below it only means a smaller-scaled feature.
    const range = f.upper - f.lower;
    means[f.column] = mean;
    stds[f.column] = Math.min(range / 2, Math.max(range / 8, Math.sqrt(Math.max(0, variance))));
  }
  return { means, stds };
}
