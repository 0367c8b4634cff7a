/** The node's side of overlap jobs (docs/overlap.md). */
export { matchingSet, type MatchingSet } from './matching-set.ts';
export { handleOverlap } from './overlap-task.ts';
export { overlapDummyCount } from './overlap-noise.ts';
