import type { JobSpecInput } from '@fedmark/protocol';

/**
 * The demo's default jobs (docs/analytics.md): the two-phase RFM job and lifecycle x NES with
 * monetary value. Clipping bounds are declared per measure so each customer's contribution, and so
 * the sensitivity, is known; the epsilon is per round at each node.
 */
export function defaultJobs(asOf: string, epsilon = 0.5): JobSpecInput[] {
  return [
    {
      version: 1,
      kind: 'rfm',
      name: 'RFM 8-class segmentation (two-phase)',
      query: {
        version: 1,
        kind: 'segment_stats',
        purpose: 'analytics',
        asOf,
        epsilon,
        measures: [
          { field: 'recency_days', lower: 0, upper: 1000, scale: 1 },
          { field: 'frequency', lower: 0, upper: 100, scale: 1 },
          { field: 'monetary', lower: 0, upper: 5000, scale: 100 },
        ],
      },
    },
    {
      version: 1,
      kind: 'segment_stats',
      name: 'Lifecycle stage x NES status',
      query: {
        version: 1,
        kind: 'segment_stats',
        name: 'lifecycle x NES',
        purpose: 'analytics',
        asOf,
        epsilon,
        dimensions: [
          { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
          { field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] },
        ],
        measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
      },
    },
  ];
}
