/**
 * Post-processing of released segment vectors, shared by node and coordinator: read a vector
 * through its layout with error bars, per-slot noise variances, A/B-test summaries. Counts and
 * sums that cannot be negative come back projected to >= 0 (the noisy value in `raw`), means
 * and rates with `unreliable` and `reason` (docs/analytics.md "Post-processing"); the number
 * formatter is how every CLI and console writes them.
 *
 * @example
 * import { interpretVector, layoutNoiseVariance, abTestSummary } from '@fedmark/protocol';
 * const variance = layoutNoiseVariance(layout, 3); // 3 nodes, each adding its own noise
 * const result = interpretVector(layout, noisyValues, variance, { dimensions: ['variant'] });
 * result.cells[0].count; // { estimate, sd, low, high }
 * abTestSummary(result, { variantDimension: 'variant', controlVariant: 'A' }).groups[0].variants;
 * formatCount(12345.4); // '12,345'
 */
export { Z_95, estimateOf, ratioVariance, type Estimate } from './estimate.ts';
export { layoutNoiseVariance } from './noise-variance.ts';
export {
  interpretVector,
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
