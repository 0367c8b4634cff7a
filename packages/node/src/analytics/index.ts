/**
 * Local analytics: per-customer segmentations (RFM, lifecycle, NES, CLV) and the
 * segment-statistics primitive that fills a query's public layout with exact integers.
 *
 * @example
 * import { SegmentQuerySchema } from '@fedmark/protocol';
 * import { computeSegmentVector, memoryUnitSource } from './analytics/index.ts';
 * const q = SegmentQuerySchema.parse({
 *   version: 1, kind: 'segment_stats', purpose: 'analytics', asOf: '1998-07-01', epsilon: 1,
 *   dimensions: [{ field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] }],
 *   measures: [{ field: 'monetary', lower: 0, upper: 1000, scale: 100 }],
 * });
 * const purchase = { customerId: 'c1', time: Date.parse('1998-06-01'), type: 'purchase',
 *   amount: 12.5, channel: null, category: null };
 * const v = computeSegmentVector(q, memoryUnitSource({ events: [purchase] }));
 * v.values; // count [1n, 0n, 0n, 0n, 0n], total 1n, sum:monetary [1250n, 0n, 0n, 0n, 0n]: one intro customer
 */
export type {
  CustomerSummary,
  EventRow,
  RowHint,
  TouchRow,
  TableRow,
  UnitSource,
} from './types.ts';
/** Every derived field of one customer as of `q.asOf` (see docs/analytics.md for definitions). */
export {
  deriveCustomerFields,
  deriveContext,
  type DeriveContext,
  type FieldValue,
} from './customer-fields.ts';
/** The exact segment-statistics vector of a query over one node's data. */
export { computeSegmentVector, type SegmentVector } from './segment-vector.ts';
/** Rows of the non-customer units, bounded per customer (exposed for inspection and tests). */
export { unitRowGroups, FATIGUE_WINDOW_DAYS, type CustomerRows } from './unit-rows.ts';
export {
  knownFields,
  RESPONSE_OUTCOMES,
  type AssignmentRow,
  type ChannelRow,
} from './field-catalog.ts';
/** Row-unit queries as plans a source can compute itself (a warehouse, in SQL). */
export {
  cellPlanOf,
  PLAN_FIELDS,
  type CellPlan,
  type CellTotals,
  type PlanDimension,
  type PlanMeasure,
  type PlanTerm,
  type RowUnit,
} from './cell-plan.ts';
/** In-memory UnitSource for tests and demos. */
export { memoryUnitSource, type MemoryCustomer, type MemorySourceInput } from './memory-source.ts';
/** Round half away from zero, the fixed-point rounding of every sum. */
export { roundHalfAway } from './fixed-point.ts';
