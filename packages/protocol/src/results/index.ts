/**
 * Post-processing of released segment vectors, shared by node and coordinator: read a vector
 * through its layout with error bars, per-slot noise variances, A/B-test summaries.
 *
 * @example
 * import { interpretVector, layoutNoiseVariance, abTestSummary } from '@fedmark/protocol';
 * const variance = layoutNoiseVariance(layout, 3); // 3 nodes, each adding its own noise
 * const result = interpretVector(layout, noisyValues, variance, { dimensions: ['variant'] });
 * result.cells[0].count; // { estimate, sd, low, high }
 * abTestSummary(result, { variantDimension: 'variant', controlVariant: 'A' }).groups[0].variants;
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
  abTestSummary,
  twoSidedPValue,
  type AbTestOptions,
  type AbTestSummary,
  type VariantSummary,
} from './ab-test.ts';
