import { layoutNoiseVariance, type SegmentLayout } from '@fedmark/protocol';

/**
 * Per-slot noise variance of an aggregate in slot units. Local mode (docs/architecture.md §4):
 * every contributing node adds its own full discrete Laplace draw (scale = block sensitivity /
 * block epsilon, variance 2a/(1-a)^2, a = exp(-epsilon/sensitivity)) to every slot, so variances
 * add over contributors (protocol results/layoutNoiseVariance). Zero when noise was off (test
 * only).
 */
export function aggregateNoiseVariance(
  layout: SegmentLayout,
  contributors: number,
  noiseOn: boolean
): number[] {
  return noiseOn
    ? layoutNoiseVariance(layout, contributors)
    : new Array<number>(layout.length).fill(0);
}
