/**
 * A row-unit query (event, touch, assignment, customer_channel) as a plan that a source can
 * compute itself: a warehouse turns it into one GROUP BY in PostgreSQL, so only one row per
 * non-empty cell reaches the node instead of every row (docs/warehouse.md "Push-down of row units").
 *
 * Only queries whose every dimension and measure reads a field of the unit row itself are
 * planned; a field derived from the customer (lifecycle stage, RFM, an attribute) needs the
 * customer summary, so such a query is computed from the streams as before (`cellPlanOf` returns
 * null). A source's `cells()` must give exactly what computeSegmentVector would compute from its
 * streams: warehouse/equality.test.ts checks that against SQLite on real PostgreSQL.
 */
import {
  dimensionLabels,
  type ASSIGNMENT_FIELDS,
  type CUSTOMER_CHANNEL_FIELDS,
  type EVENT_FIELDS,
  type QueryUnit,
  type SegmentQuery,
  type TOUCH_FIELDS,
} from '@fedmark/protocol';
import { DAY_MS } from './_days.ts';
import { FATIGUE_WINDOW_DAYS } from './unit-rows.ts';

export type RowUnit = Exclude<QueryUnit, 'customer'>;

/** How a unit field's values look: text (possibly null), whole numbers, or any finite number. */
export type PlanFieldKind = 'text' | 'integer' | 'number';

type Kinds<F extends readonly string[]> = Record<F[number], PlanFieldKind>;

/**
 * The fields a plan can read, per unit: every field of the unit row itself (field-catalog.ts
 * defines what each one is; the types make a field added there fail to compile here until it is
 * given a kind, and the SQL a column: warehouse/_cells-sql.ts).
 */
export const PLAN_FIELDS: Record<RowUnit, Record<string, PlanFieldKind>> = {
  event: {
    event_type: 'text',
    channel: 'text',
    category: 'text',
    amount: 'number',
    hour_of_week: 'integer',
  } satisfies Kinds<typeof EVENT_FIELDS>,
  touch: {
    channel: 'text',
    campaign: 'text',
    variant: 'text',
    outcome: 'text',
    hour_of_week: 'integer',
    responded: 'integer',
  } satisfies Kinds<typeof TOUCH_FIELDS>,
  assignment: {
    campaign: 'text',
    variant: 'text',
    exposed: 'integer',
    clicked: 'integer',
    converted: 'integer',
  } satisfies Kinds<typeof ASSIGNMENT_FIELDS>,
  customer_channel: { channel: 'text', touches_7d: 'integer' } satisfies Kinds<
    typeof CUSTOMER_CHANNEL_FIELDS
  >,
};

export type PlanDimension =
  | { field: string; kind: PlanFieldKind; categories: readonly string[] }
  | { field: string; kind: PlanFieldKind; edges: readonly number[] };

/** A fixed-point term: round-half-away(clamp(x, lower, upper) * scale), clamped to [lo, hi]. */
export interface PlanTerm {
  scale: number;
  lo: number;
  hi: number;
}

export interface PlanMeasure extends PlanTerm {
  field: string;
  lower: number;
  upper: number;
  /** The sum of squares' own term (squareScale), or null when the query asks for no squares. */
  squares: PlanTerm | null;
}

export interface CellPlan {
  unit: RowUnit;
  /** Rows kept per customer, its earliest (stream order breaks ties in time). */
  maxRowsPerCustomer: number;
  /** Rows before this instant count (asOf 00:00 UTC, epoch ms). */
  endMs: number;
  /** customer_channel: touches at or after this instant (the fatigue window) count. */
  windowFromMs: number;
  dimensions: PlanDimension[];
  /** Labels per dimension: the cell index is mixed radix, the first dimension outermost. */
  radix: number[];
  cells: number;
  measures: PlanMeasure[];
}

/** What a source computed for a plan: rows per cell, and each measure's exact sums per cell. */
export interface CellTotals {
  counts: number[];
  sums: bigint[][];
  /** Per measure: the sums of squares per cell, or null where the plan asks for none. */
  squares: (bigint[] | null)[];
}

function term(lower: number, upper: number, scale: number): PlanTerm | null {
  // Math.round as in layout.ts measureBound (see segment-vector.ts compileMeasure).
  const lo = Math.round(lower * scale);
  const hi = Math.round(upper * scale);
  // A source sums terms as 64-bit integers: a bound past 2^53 is left to the exact JS path.
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) return null;
  return { scale, lo, hi };
}

/**
 * The plan of `q`, or null when the query needs the customer summary (customer unit, or a field
 * not in PLAN_FIELDS), bins or measures over text, categories of a non-integer number, or terms
 * past 2^53 (computed from the streams instead, with the same result).
 */
export function cellPlanOf(q: SegmentQuery): CellPlan | null {
  if (q.unit === 'customer') return null;
  const fields = PLAN_FIELDS[q.unit];
  const kindOf = (name: string): PlanFieldKind | null =>
    Object.hasOwn(fields, name) ? (fields[name] as PlanFieldKind) : null;
  const dimensions: PlanDimension[] = [];
  for (const d of q.dimensions) {
    const kind = kindOf(d.field);
    if (kind === null) return null;
    if ('categories' in d) {
      // A number's label is String(v): only whole numbers print the same in SQL.
      if (kind === 'number' || d.categories.some((c) => c.includes('\u0000'))) return null;
      dimensions.push({ field: d.field, kind, categories: d.categories });
    } else {
      // Bins read numbers (numeric text would be parsed): text is left to the streams.
      if (kind === 'text') return null;
      dimensions.push({ field: d.field, kind, edges: d.edges });
    }
  }
  const measures: PlanMeasure[] = [];
  for (const m of q.measures) {
    const kind = kindOf(m.field);
    if (kind === null || kind === 'text') return null;
    const sum = term(m.lower, m.upper, m.scale);
    const squares = m.squares ? term(m.lower, m.upper, m.squareScale) : null;
    if (sum === null || (m.squares && squares === null)) return null;
    measures.push({ field: m.field, lower: m.lower, upper: m.upper, ...sum, squares });
  }
  const radix = q.dimensions.map((d) => dimensionLabels(d).length);
  const endMs = Date.parse(`${q.asOf}T00:00:00Z`);
  return {
    unit: q.unit,
    maxRowsPerCustomer: q.maxRowsPerCustomer,
    endMs,
    windowFromMs: endMs - FATIGUE_WINDOW_DAYS * DAY_MS,
    dimensions,
    radix,
    cells: radix.reduce((a, b) => a * b, 1),
    measures,
  };
}

/** Throws unless `t` has the shape `plan` asks for (a source's answer is checked before use). */
export function checkCellTotals(plan: CellPlan, t: CellTotals): void {
  const ok =
    t.counts.length === plan.cells &&
    t.sums.length === plan.measures.length &&
    t.squares.length === plan.measures.length &&
    plan.measures.every(
      (m, i) =>
        t.sums[i]?.length === plan.cells &&
        (m.squares === null ? t.squares[i] === null : t.squares[i]?.length === plan.cells)
    );
  if (!ok) throw new Error('a source computed cell totals of another shape than the plan');
}
