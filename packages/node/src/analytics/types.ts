import type { CellPlan, CellTotals } from './cell-plan.ts';

/**
 * What the analytics read. The store produces these (with SQL aggregation pushed down where it
 * can), already filtered to customers whose consent for the query's purpose is in force at the
 * query's asOf, and to rows dated before asOf. Days are whole UTC days since 1970-01-01.
 * Customer ids stay inside the node: nothing built from these leaves except noised aggregates.
 */
export interface CustomerSummary {
  customerId: string;
  signupDay: number | null;
  attributes: Record<string, string | number | null>;
  /** Purchase events = events of type 'purchase'. */
  purchaseCount: number;
  /** Distinct days with a purchase. */
  purchaseDays: number;
  firstPurchaseDay: number | null;
  lastPurchaseDay: number | null;
  /** Last event of any type (purchase, visit, ...) or touch response; drives lifecycle decline. */
  lastActivityDay: number | null;
  /** Sum of purchase amounts. */
  monetary: number;
}

export interface EventRow {
  customerId: string;
  /** Milliseconds since the epoch, UTC. */
  time: number;
  type: string;
  amount: number | null;
  channel: string | null;
  category: string | null;
}

export interface TouchRow {
  customerId: string;
  time: number;
  channel: string;
  campaign: string;
  variant: string | null;
  /** One of: none, opened, clicked, converted (ordered funnel stages). */
  outcome: string;
}

export interface TableRow {
  customerId: string;
  values: Record<string, string | number | null>;
}

/**
 * What a caller of events()/touches() will use of each customer's rows (unit-rows.ts): the
 * earliest `perCustomer` in stream order, the rows at or after `fromMs`. A hint only: a source
 * may return more (SQLite and memory sources do, the caller cuts them itself), never fewer of the
 * rows it names. A warehouse source applies it in SQL so the other rows never leave PostgreSQL.
 */
export interface RowHint {
  perCustomer?: number;
  fromMs?: number;
}

/** Read access for one query. Iteration order: by customerId, then time. */
export interface UnitSource {
  customers(): Iterable<CustomerSummary>;
  events(hint?: RowHint): Iterable<EventRow>;
  touches(hint?: RowHint): Iterable<TouchRow>;
  tableRows(table: string): Iterable<TableRow>;
  /**
   * Optional push-down (cell-plan.ts): the cells of a row-unit query computed by the source
   * itself, exactly as computeSegmentVector would from the streams, or null when it cannot (the
   * streams are read instead). `seen` is called with every customer whose rows it read, as the
   * streams would have yielded them (a release commits to them: release/_units-source.ts).
   */
  cells?(plan: CellPlan, seen: (customerId: string) => void): CellTotals | null;
}
