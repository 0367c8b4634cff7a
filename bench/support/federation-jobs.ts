/**
 * What the federation benches (federation, idle, federation-scale) run and how they summarise
 * it: the lifecycle segmentation job on real local federations, and the median of job times.
 */
import type { JobSpecInput, SegmentQueryInput } from '../../packages/protocol/src/index.ts';

export const LIFECYCLE_QUERY: SegmentQueryInput = {
  version: 1,
  kind: 'segment_stats',
  name: 'lifecycle',
  purpose: 'analytics',
  asOf: '2026-01-01',
  epsilon: 0.5,
  dimensions: [{ field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] }],
};

/** The lifecycle job with no straggler wait; `noise` off only where the nodes' policy allows. */
export function lifecycleJob(name: string, noise: 'on' | 'off-test-only' = 'on'): JobSpecInput {
  return {
    version: 1,
    kind: 'segment_stats',
    name,
    noise,
    stragglerWaitMs: 0,
    query: LIFECYCLE_QUERY,
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
