/**
 * Internal: a CellPlan (analytics/cell-plan.ts) as one PostgreSQL statement, so that a row-unit
 * query (channel x hour, funnels, A/B, fatigue) returns one row per non-empty cell instead of
 * every event or touch (docs/warehouse.md "Push-down of row units"). Each step mirrors the JavaScript it
 * replaces, which is the definition (warehouse/equality.test.ts compares the two on real data):
 *
 * - rows: eventRows / touchRows (_sql.ts), the same consent filter, cut and order as the streams;
 * - the per-customer bound: the earliest `maxRowsPerCustomer` rows in stream order
 *   (unit-rows.ts), for assignments and fatigue rows ranked by their first touch;
 * - cells: field-catalog.ts's fields, cell-index.ts's categories, bins and mixed radix;
 * - terms: segment-vector.ts's clamp, round half away from zero and clamp, in float8 (IEEE
 *   doubles, as in JavaScript), summed as 64-bit integers into exact numerics.
 *
 * Parameters: _sql.ts's six, then $7 the ids of erased customers to leave out (text[]). Every
 * number of the plan is checked finite and written as a literal; categories are quoted literals.
 * Output: cell, rows, then per measure its sum and, if asked, its sum of squares, as text.
 */
import type { CellPlan, PlanDimension, PlanTerm } from '../analytics/cell-plan.ts';
import { RESPONSE_OUTCOMES } from '../analytics/field-catalog.ts';
import { eventRows, numberedRowsSql, rowLimit, touchRows, type RowStatement } from './_sql.ts';
import type { WarehouseMapping } from './mapping.ts';

const NOT_ERASED = '\n  AND NOT (k.cid = ANY($7::text[]))';

function num(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`a plan number must be finite, got ${x}`);
  return `'${String(x)}'::float8`;
}
const text = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const responded = (col: string): string =>
  `CASE WHEN ${col} IN (${[...RESPONSE_OUTCOMES].map(text).join(', ')}) THEN 1 ELSE 0 END`;

/** _days.ts hourOfWeek: UTC, Monday 00:00 = 0 (1970-01-01 was a Thursday, index 3). */
function hourOfWeek(ms: string): string {
  const day = `floor(${ms} / 86400000)`;
  return `(((${day})::bigint + 3) % 7 + 7) % 7 * 24 + floor((${ms} - ${day} * 86400000) / 3600000)::bigint`;
}

/** `unit_rows`: one row per unit row after the per-customer bound, one column per plan field. */
function unitRowsSql(m: WarehouseMapping, plan: CellPlan): string | null {
  const limit = rowLimit(plan.maxRowsPerCustomer);
  const numbered = (body: RowStatement): string =>
    `${body.cte},\nnumbered AS (\n  ${numberedRowsSql(body)}\n)`;
  // Assignments and fatigue rows: the earliest groups by their first row in stream order, which
  // is unit-rows.ts's `earliest` over (first time, first appearance).
  const ranked = (grouped: string, columns: string): string => `,
grouped AS (
  ${grouped}
), unit_rows AS (
  SELECT ${columns} FROM (
    SELECT g.*, row_number() OVER (PARTITION BY g.cid ORDER BY g.first) AS rank FROM grouped g
  ) g
  WHERE g.rank <= ${limit}
)`;
  if (plan.unit === 'event') {
    return `${numbered(eventRows(m, {}, NOT_ERASED))}, unit_rows AS (
  SELECT r.c2 AS event_type, r.c3 AS amount, r.c4 AS channel, r.c5 AS category,
    ${hourOfWeek('r.c1')} AS hour_of_week
  FROM numbered r WHERE r.rn <= ${limit}
)`;
  }
  if (plan.unit === 'touch') {
    const body = touchRows(m, {}, NOT_ERASED);
    return (
      body &&
      `${numbered(body)}, unit_rows AS (
  SELECT r.c2 AS channel, r.c3 AS campaign, r.c4 AS variant, r.c5 AS outcome,
    ${hourOfWeek('r.c1')} AS hour_of_week, ${responded('r.c5')} AS responded
  FROM numbered r WHERE r.rn <= ${limit}
)`
    );
  }
  if (plan.unit === 'assignment') {
    const body = touchRows(m, {}, NOT_ERASED);
    return (
      body &&
      numbered(body) +
        ranked(
          `SELECT r.c0 AS cid, r.c3 AS campaign, r.c4 AS variant, min(r.rn) AS first,
    max(${responded('r.c5')}) AS clicked, max(CASE WHEN r.c5 = 'converted' THEN 1 ELSE 0 END) AS converted
  FROM numbered r GROUP BY r.c0, r.c3, r.c4`,
          'g.campaign, g.variant, 1 AS exposed, g.clicked, g.converted'
        )
    );
  }
  const body = touchRows(m, { fromMs: plan.windowFromMs }, NOT_ERASED);
  return (
    body &&
    numbered(body) +
      ranked(
        `SELECT r.c0 AS cid, r.c2 AS channel, count(*) AS touches_7d, min(r.rn) AS first
  FROM numbered r GROUP BY r.c0, r.c2`,
        'g.channel, g.touches_7d'
      )
  );
}

const col = (field: string): string => `u.${field}`; // PLAN_FIELDS names are plain identifiers
const missing = (v: string): string =>
  `${v} IS NULL OR ${v} IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)`;

/** cell-index.ts's position of a row among a dimension's labels. */
function positionSql(d: PlanDimension): string {
  if ('categories' in d) {
    const v = d.kind === 'text' ? col(d.field) : `(${col(d.field)})::bigint::text`;
    const arms = d.categories.map((c, i) => `WHEN ${text(c)} THEN ${i}`).join(' ');
    return `CASE ${v} ${arms} ELSE ${d.categories.length} END`;
  }
  // width_bucket counts the edges <= v: 0 below the first, k + 1 in [e_k, e_k+1).
  const v = `(${col(d.field)})::float8`;
  return `CASE WHEN ${missing(v)} THEN ${d.edges.length + 1}
    ELSE width_bucket(${v}, ARRAY[${d.edges.map(num).join(', ')}]::float8[]) END`;
}

function cellSql(plan: CellPlan): string {
  if (plan.dimensions.length === 0) return '0';
  let stride = 1;
  const parts: string[] = [];
  for (let i = plan.dimensions.length - 1; i >= 0; i--) {
    parts.unshift(`(${positionSql(plan.dimensions[i] as PlanDimension)}) * ${stride}`);
    stride *= plan.radix[i] as number;
  }
  return parts.join('\n    + ');
}

/** segment-vector.ts fixedPoint of a clamped value x (null: missing, the row adds 0). */
function termSql(x: string, t: PlanTerm): string {
  const y = `(${x} * ${num(t.scale)})`;
  const a = `abs${y}`;
  // Math.round of |y|: ties up, and a - floor(a) is exact in float8, so 0.49999999999999994
  // rounds to 0 as it does in JavaScript (floor(a + 0.5) would not).
  const rounded = `sign${y} * (floor(${a}) + CASE WHEN ${a} - floor(${a}) >= 0.5 THEN 1 ELSE 0 END)`;
  return `CASE WHEN ${x} IS NULL THEN 0::bigint
    ELSE greatest(${t.lo}::float8, least(${t.hi}::float8, ${rounded}))::bigint END`;
}

/** The statement for `plan`, or null when the mapping has no touches for a touch-based unit. */
export function cellsSql(m: WarehouseMapping, plan: CellPlan): string | null {
  const rows = unitRowsSql(m, plan);
  if (rows === null) return null;
  const clamped = plan.measures.map((me, i) => {
    const v = `(${col(me.field)})::float8`;
    return `, CASE WHEN ${missing(v)} THEN NULL ELSE least(greatest(${v}, ${num(me.lower)}), ${num(me.upper)}) END AS x${i}`;
  });
  const sums = plan.measures.map((me, i) => {
    const sum = `, sum(${termSql(`c.x${i}`, me)})::text`;
    if (!me.squares) return sum;
    const t = `(${termSql(`c.x${i}`, me.squares)})::numeric`;
    return `${sum}, sum(${t} * ${t})::text`;
  });
  return `${rows}, cells AS (
  SELECT ${cellSql(plan)} AS cell${clamped.join('')}
  FROM unit_rows u
)
SELECT c.cell, count(*)${sums.join('')}
FROM cells c GROUP BY c.cell ORDER BY c.cell`;
}
