import {
  layoutOf,
  type Measure,
  type QueryUnit,
  type SegmentLayout,
  type SegmentQuery,
} from '@fedmark/protocol';
import { OrderedCursor, outOfOrder } from './_merge.ts';
import { compileCellIndex, compileDimension, toNumber } from './cell-index.ts';
import { deriveContext } from './customer-fields.ts';
import { resolveField, type Getter, type RowCursor } from './field-catalog.ts';
import { ExactSums, roundHalfAway } from './fixed-point.ts';
import { unitRowGroups } from './unit-rows.ts';
import { cellPlanOf, checkCellTotals } from './cell-plan.ts';
import type { CustomerSummary, TableRow, UnitSource } from './types.ts';

/**
 * The exact, un-noised statistics of one query at one node. `values` never leaves the node as
 * is: the privacy layer suppresses small cells and adds noise first.
 */
export interface SegmentVector {
  layout: SegmentLayout;
  /** Exact slot values in layout order; length = layout.length. */
  values: bigint[];
  /** Rows per cell (the count block as numbers), for minimum-cohort checks. */
  cellCounts: number[];
  /** Rows counted in total. */
  rows: number;
}

interface CompiledMeasure {
  get: Getter;
  lower: number;
  upper: number;
  scale: number;
  /** Integer bounds of a slot term; layout.ts derives the sensitivity from exactly these. */
  lo: number;
  hi: number;
  sum: ExactSums;
  squares: { scale: number; lo: number; hi: number; sums: ExactSums } | null;
}

function compileMeasure(
  unit: QueryUnit,
  m: Measure,
  tables: string[],
  cells: number
): CompiledMeasure {
  return {
    get: resolveField(unit, m.field, tables),
    lower: m.lower,
    upper: m.upper,
    scale: m.scale,
    // Math.round as in layout.ts measureBound: clamping the rounded term into these keeps every
    // row within the declared sensitivity even where half-away rounding differs (-k.5 bounds).
    lo: Math.round(m.lower * m.scale),
    hi: Math.round(m.upper * m.scale),
    sum: new ExactSums(cells),
    squares: m.squares
      ? {
          scale: m.squareScale,
          lo: Math.round(m.lower * m.squareScale),
          hi: Math.round(m.upper * m.squareScale),
          sums: new ExactSums(cells),
        }
      : null,
  };
}

function fixedPoint(x: number, scale: number, lo: number, hi: number): number {
  const t = roundHalfAway(x * scale);
  return t < lo ? lo : t > hi ? hi : t;
}

/**
 * Computes a segment-statistics query over one node's data: each row falls into one cell
 * (dimensions), adds 1 to the cell's count and to the total, and per measure adds its clipped
 * fixed-point value (and square) to the cell. Streams the source: memory is O(cells) for the
 * customer unit and O(rows of one customer) for the others. Unknown fields are refused with
 * BAD_REQUEST before any data is read.
 */
export function computeSegmentVector(q: SegmentQuery, source: UnitSource): SegmentVector {
  const layout = layoutOf(q);
  // A source that computes the cells itself (a warehouse, in SQL) does; otherwise the streams.
  const pushed = source.cells ? pushedDown(q, source) : null;
  if (pushed) return pushed;
  const k = deriveContext(q);
  const tables: string[] = [];
  const dims = q.dimensions.map((d) => compileDimension(q.unit, d, tables));
  const cells = layout.cells.length;
  const measures = q.measures.map((m) => compileMeasure(q.unit, m, tables, cells));
  const cellOf = compileCellIndex(dims);
  const counts = new Float64Array(cells);
  let rows = 0;

  // Reused for every row; `customer` is set before the first addRow.
  const cursor: RowCursor = {
    customer: undefined as unknown as CustomerSummary,
    row: undefined,
    tables: tables.map(() => null),
  };
  const addRow = (): void => {
    const cell = cellOf(cursor, k);
    counts[cell] = (counts[cell] as number) + 1;
    rows++;
    for (const m of measures) {
      const v = toNumber(m.get(cursor, k));
      if (v === null) continue; // a missing value contributes 0 (the row still counts)
      const x = v < m.lower ? m.lower : v > m.upper ? m.upper : v;
      m.sum.add(cell, fixedPoint(x, m.scale, m.lo, m.hi));
      if (m.squares)
        m.squares.sums.addSquare(cell, fixedPoint(x, m.squares.scale, m.squares.lo, m.squares.hi));
    }
  };

  if (q.unit === 'customer') scanCustomers(source, tables, k.asOfDay, cursor, addRow);
  else {
    for (const group of unitRowGroups(q.unit, source, q, k)) {
      cursor.customer = group.customer;
      for (const row of group.rows) {
        cursor.row = row;
        addRow();
      }
    }
  }
  const values = assemble(
    layout,
    counts,
    rows,
    (i) => {
      const m = measures[i] as CompiledMeasure;
      const squares = m.squares?.sums;
      return {
        sum: (cell) => m.sum.value(cell),
        squares: squares ? (c) => squares.value(c) : null,
      };
    },
    q.measures
  );
  return { layout, values, cellCounts: Array.from(counts), rows };
}

/** The vector from the source's own computation of the query's cells, or null if it has none. */
function pushedDown(q: SegmentQuery, source: UnitSource): SegmentVector | null {
  const plan = cellPlanOf(q);
  const totals = plan && source.cells?.(plan, () => {});
  if (!plan || !totals) return null;
  checkCellTotals(plan, totals);
  const layout = layoutOf(q);
  const rows = totals.counts.reduce((a, b) => a + b, 0);
  const values = assemble(
    layout,
    totals.counts,
    rows,
    (i) => {
      const sums = totals.sums[i] as bigint[];
      const squares = totals.squares[i];
      return {
        sum: (cell) => sums[cell] as bigint,
        squares: squares ? (cell) => squares[cell] as bigint : null,
      };
    },
    q.measures
  );
  return { layout, values, cellCounts: [...totals.counts], rows };
}

/**
 * A customer whose signup is on or after asOf and who has no purchase or activity before it did
 * not exist yet at the reference instant ("later rows are ignored"), so is not counted.
 */
function notYetCustomer(c: CustomerSummary, asOfDay: number): boolean {
  return (
    c.signupDay !== null &&
    c.signupDay >= asOfDay &&
    c.lastActivityDay === null &&
    c.lastPurchaseDay === null
  );
}

function scanCustomers(
  source: UnitSource,
  tables: string[],
  asOfDay: number,
  cursor: RowCursor,
  addRow: () => void
): void {
  const joins = tables.map(
    (t) => new OrderedCursor<TableRow>(source.tableRows(t), `rows of table "${t}"`)
  );
  const slots = cursor.tables;
  let last: string | undefined;
  try {
    for (const c of source.customers()) {
      if (joins.length > 0) {
        if (last !== undefined && c.customerId < last) throw outOfOrder('customers');
        last = c.customerId;
      }
      if (notYetCustomer(c, asOfDay)) continue;
      cursor.customer = c;
      cursor.row = c;
      for (let i = 0; i < joins.length; i++) {
        slots[i] = (joins[i] as OrderedCursor<TableRow>).seek(c.customerId)?.values ?? null;
      }
      addRow();
    }
  } finally {
    // Table streams may hold rows past the last customer: close their statements.
    for (const j of joins) j.close();
  }
}

/** One measure's exact sums by cell, and its sums of squares (null when not asked for). */
type MeasureSums = (measure: number) => {
  sum: (cell: number) => bigint;
  squares: ((cell: number) => bigint) | null;
};

function assemble(
  layout: SegmentLayout,
  counts: ArrayLike<number>,
  rows: number,
  sumsOf: MeasureSums,
  declared: Measure[]
): bigint[] {
  const values = new Array<bigint>(layout.length).fill(0n);
  for (const b of layout.blocks) {
    if (b.kind === 'total') {
      values[b.offset] = BigInt(rows);
      continue;
    }
    const i = b.field === undefined ? -1 : declared.findIndex((d) => d.field === b.field);
    const m = i < 0 ? undefined : sumsOf(i);
    const sums = b.kind === 'sum' ? m?.sum : b.kind === 'sumsq' ? m?.squares : undefined;
    for (let c = 0; c < b.length; c++)
      values[b.offset + c] = sums ? sums(c) : BigInt(counts[c] as number);
  }
  return values;
}
