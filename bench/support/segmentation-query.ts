/**
 * The segmentation the node benches time (node-store, warehouse) and DuckDB repeats
 * (comparators/duckdb-segmentation.ts): RFM score sum x lifecycle stage x NES status, with the
 * customers' monetary total, "as of" `asOf`.
 */
import { SegmentQuerySchema, type SegmentQuery } from '../../packages/protocol/src/index.ts';

export function rfmLifecycleNesQuery(asOf: string): SegmentQuery {
  return SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf,
    epsilon: 1,
    dimensions: [
      { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
      { field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] },
      { field: 'rfm_score_sum', edges: [3, 6, 9, 12, 15] },
    ],
    measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
  });
}
