import type { SegmentLayout } from '../layout.ts';
import type { Measure } from '../schemas/segment-query.ts';
import { estimateOf, ratioVariance } from './estimate.ts';
import {
  MIN_RELIABLE_COUNT,
  checkMinCount,
  judgeRatio,
  projectEstimate,
  unprojected,
  type ProjectedEstimate,
  type RatioEstimate,
} from './post-process.ts';

/** One measure in one cell, in the field's own unit (fixed-point scale removed). */
export interface MeasureCellResult {
  /** Clipped sum; projected to >= 0 when the measure's lower bound is >= 0 (post-process.ts). */
  sum: ProjectedEstimate;
  /**
   * sum / count from the raw noisy figures, with the delta-method noise variance of both
   * (ratioVariance), clamped into the measure's clipping bounds when they are known, and judged
   * (`unreliable`, `reason`); null when the count estimate is not positive.
   */
  mean: RatioEstimate | null;
  /** Clipped sum of squares, when the query asked for squares; projected to >= 0. */
  sumOfSquares: ProjectedEstimate | null;
  /**
   * Within-cell standard deviation of the field, sqrt(max(0, sumsq/count - mean^2)), from the
   * raw noisy figures; null without squares or with a count estimate below 2.
   */
  spread: number | null;
}

export interface CellResult {
  index: number;
  /** One label per dimension (layout.cells). */
  labels: string[];
  /** Projected to >= 0; `raw` is the released noisy count. */
  count: ProjectedEstimate;
  measures: Record<string, MeasureCellResult>;
}

/** A released (or exact) vector read back through its layout. Numbers only: JSON-ready. */
export interface SegmentResult {
  layoutHash: string;
  /** Dimension field names when the caller gave them (they are not part of the layout). */
  dimensions: string[] | null;
  /** Measure fields in layout order. */
  measures: string[];
  /** Rows counted in total (the `total` block), projected to >= 0. */
  total: ProjectedEstimate;
  /** The count under which a cell's means were marked unreliable. */
  minReliableCount: number;
  cells: CellResult[];
}

export interface InterpretOptions {
  /** Field names of the query's dimensions, in order, so helpers can find a dimension by name. */
  dimensions?: readonly string[];
  /**
   * The query's measures with their clipping bounds. A measure whose lower bound is >= 0 has its
   * sums projected to >= 0; every measure given has its means clamped into [lower, upper] (the
   * clipped mean cannot lie outside). Without them sums are left as released.
   */
  measures?: readonly Pick<Measure, 'field' | 'lower' | 'upper'>[];
  /** Means of cells whose noisy count is under this are unreliable (default MIN_RELIABLE_COUNT). */
  minReliableCount?: number;
}

function checkVector(name: string, got: number, want: number): void {
  if (got !== want)
    throw new RangeError(`"${name}" expected length ${want} (layout length), got ${got}`);
}

/**
 * Reads a vector (noisy or exact) through its layout: per cell the count, and per measure the
 * sum, mean and (with squares) sum of squares and spread, each with a 95% interval built from
 * `noiseVariance` (per slot, in slot units; all zeros for an exact vector). Noise of different
 * slots is independent, so variances of derived figures combine by the delta method. Then the
 * post-processing of post-process.ts: counts, sums of squares and sums of non-negative measures
 * projected to >= 0, means clamped into their bounds and judged; every derived figure is
 * computed from the raw noisy values, which stay in `raw`.
 */
export function interpretVector(
  layout: SegmentLayout,
  values: readonly bigint[],
  noiseVariance: readonly number[],
  options: InterpretOptions = {}
): SegmentResult {
  checkVector('values', values.length, layout.length);
  checkVector('noiseVariance', noiseVariance.length, layout.length);
  noiseVariance.forEach((v, i) => {
    if (!Number.isFinite(v) || v < 0) {
      throw new RangeError(`"noiseVariance[${i}]" expected a finite non-negative number, got ${v}`);
    }
  });
  const minCount = checkMinCount(options.minReliableCount ?? MIN_RELIABLE_COUNT);
  const bounds = new Map((options.measures ?? []).map((m) => [m.field, m] as const));
  const width = layout.cells[0]?.length ?? 0;
  if (options.dimensions && options.dimensions.length !== width) {
    throw new RangeError(
      `"dimensions" names ${options.dimensions.length} fields but the layout has ${width} dimensions`
    );
  }
  // Slot i of a block in field units: value / scale, variance / scale^2.
  const slot = (offset: number, i: number, scale: number): [number, number] => [
    Number(values[offset + i] as bigint) / scale,
    (noiseVariance[offset + i] as number) / (scale * scale),
  ];
  const countBlock = layout.blocks.find((b) => b.kind === 'count');
  const totalBlock = layout.blocks.find((b) => b.kind === 'total');
  if (!countBlock || !totalBlock) throw new RangeError('layout has no count or total block');
  const sums = layout.blocks.filter((b) => b.kind === 'sum');
  const cells: CellResult[] = layout.cells.map((labels, index) => {
    const [c, varC] = slot(countBlock.offset, index, 1);
    const measures: Record<string, MeasureCellResult> = {};
    for (const sb of sums) {
      const field = sb.field as string;
      const m = bounds.get(field);
      const [s, varS] = slot(sb.offset, index, sb.scale);
      const rawMean = c > 0 ? estimateOf(s / c, ratioVariance(s, varS, c, varC)) : null;
      const mean = rawMean
        ? judgeRatio({
            ratio: rawMean,
            denominator: c,
            denominatorName: 'count',
            minCount,
            bounds: m ? [m.lower, m.upper] : [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
          })
        : null;
      const sq = layout.blocks.find((b) => b.kind === 'sumsq' && b.field === field);
      let sumOfSquares: ProjectedEstimate | null = null;
      let spread: number | null = null;
      if (sq) {
        const [ss, varSs] = slot(sq.offset, index, sq.scale);
        sumOfSquares = projectEstimate(estimateOf(ss, varSs));
        if (c >= 2 && rawMean)
          spread = Math.sqrt(Math.max(0, ss / c - rawMean.estimate * rawMean.estimate));
      }
      const sum = estimateOf(s, varS);
      measures[field] = {
        sum: m && m.lower >= 0 ? projectEstimate(sum) : unprojected(sum),
        mean,
        sumOfSquares,
        spread,
      };
    }
    return { index, labels: [...labels], count: projectEstimate(estimateOf(c, varC)), measures };
  });
  const [total, varTotal] = slot(totalBlock.offset, 0, 1);
  return {
    layoutHash: layout.hash,
    dimensions: options.dimensions ? [...options.dimensions] : null,
    measures: sums.map((b) => b.field as string),
    total: projectEstimate(estimateOf(total, varTotal)),
    minReliableCount: minCount,
    cells,
  };
}

/**
 * Whether a stored round's `interpretation` is a SegmentResult (train rounds hold
 * `{ phase, model }` there instead; the schema keeps the field open).
 */
export function isSegmentResult(x: unknown): x is SegmentResult {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<Record<keyof SegmentResult, unknown>>;
  return (
    Array.isArray(r.cells) &&
    Array.isArray(r.measures) &&
    typeof r.total === 'object' &&
    r.total !== null
  );
}
