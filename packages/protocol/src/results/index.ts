/**
 * Post-processing of released segment vectors, shared by node and coordinator: read a vector
 * through its layout with error bars, per-slot noise variances, A/B-test summaries. Counts and
 * sums that cannot be negative come back projected to >= 0 (the noisy value in `raw`), means
 * and rates with `unreliable` and `reason` (docs/analytics.md "Post-processing"); the number
 * formatter and the text table are what every CLI prints them with.
 *
 * @example
 * import { interpretVector, layoutNoiseVariance, abTestSummary } from '@fedmark/protocol';
 * const variance = layoutNoiseVariance(layout, 3); // 3 nodes, each adding its own noise
 * const result = interpretVector(layout, noisyValues, variance, { dimensions: ['variant'], measures: query.measures });
 * result.cells[0].count; // { estimate, sd, low, high, raw }: estimate and interval projected to >= 0
 * abTestSummary(result, { variantDimension: 'variant', controlVariant: 'A' }).groups[0].variants;
 * const { table, notes } = segmentTable(result); // the table `job result` prints
 * formatCount(12345.4); // '12,345'
 */
export { Z_95, estimateOf, ratioVariance, type Estimate } from './estimate.ts';
export {
  blockNoiseTail,
  blockShareVariance,
  layoutNoiseVariance,
  NOISE_TAIL_SCALES,
  NOISE_TAIL_SIGMAS,
  type VarianceBlock,
} from './noise-variance.ts';
export {
  interpretVector,
  isSegmentResult,
  type CellResult,
  type InterpretOptions,
  type MeasureCellResult,
  type SegmentResult,
} from './interpret.ts';
export { histogramQuantiles } from './quantiles.ts';
export {
  MIN_RELIABLE_COUNT,
  judgeRatio,
  projectEstimate,
  type ProjectedEstimate,
  type RatioEstimate,
  type RatioJudgement,
} from './post-process.ts';
export { formatCount, formatFigure, formatNumber, type FigureKind } from './number-format.ts';
export { textTable, type Align, type TextTableOptions } from './text-table.ts';
export {
  UNRELIABLE_MARK,
  formatEstimate,
  segmentLabel,
  segmentTable,
  type SegmentTable,
  type SegmentTableOptions,
} from './segment-table.ts';
export {
  abTestSummary,
  twoSidedPValue,
  type AbTestOptions,
  type AbTestSummary,
  type VariantSummary,
} from './ab-test.ts';
