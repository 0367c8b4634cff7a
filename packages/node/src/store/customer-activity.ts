/**
 * Per-customer aggregates of all stored events and touches, kept up to date by every write that
 * adds or removes such rows (the events/touches import, erasure), so a segmentation reads one
 * row per customer instead of all of a customer's events (docs/scale.md: RFM + lifecycle over 1M
 * customers / 10M events was 2.6x DuckDB, nearly all of it in the per-event aggregation).
 *
 * The aggregates cover every row, so they answer a query "as of" a date only for customers whose
 * latest row (`max_time`) is before it; unit-source.ts aggregates the others from their events as
 * before and merges the two streams. The expressions below are the ones CUSTOMERS_SQL uses, in
 * the same SQLite functions over the same rows in the same order, so both paths give the same
 * numbers to the last bit (unit-source.test.ts checks this against a plain aggregation).
 */
import type Database from 'better-sqlite3';
import { TempIdSet } from './temp-id-set.ts';

const DAY_MS = 86_400_000;
/** floor(time / day) for negative times too (SQLite integer division truncates toward zero). */
export const DAY_SQL = `((e.time - (((e.time % ${DAY_MS}) + ${DAY_MS}) % ${DAY_MS})) / ${DAY_MS})`;

/**
 * The per-customer aggregate columns over `events e` joined to customer `c`, and the customer's
 * latest touch response; `touchBound` restricts touches (e.g. "AND t.time < :asOf").
 */
export function activityAggregates(touchBound: string): string {
  return `count(e.time) FILTER (WHERE e.type = 'purchase') AS purchaseCount,
  count(DISTINCT ${DAY_SQL}) FILTER (WHERE e.type = 'purchase') AS purchaseDays,
  min(e.time) FILTER (WHERE e.type = 'purchase') AS firstPurchase,
  max(e.time) FILTER (WHERE e.type = 'purchase') AS lastPurchase,
  max(e.time) AS lastEvent,
  total(e.amount) FILTER (WHERE e.type = 'purchase') AS monetary,
  (SELECT max(t.time) FROM touches t
    WHERE t.customer = c.id ${touchBound} AND t.outcome <> 'none') AS lastResponse`;
}

/**
 * The activity aggregates as `.raw()` gives them, in activityAggregates' order: purchase count,
 * purchase days, first and last purchase, last event, monetary, last touch response. Arrays, not
 * objects: at 1M customers the objects better-sqlite3 builds per row cost more than the SQL that
 * fills them (bench node-store).
 */
export type ActivityAggregateColumns = [
  number,
  number,
  number | null,
  number | null,
  number | null,
  number,
  number | null,
];

export const CUSTOMER_ACTIVITY_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS customer_activity (
  customer INTEGER PRIMARY KEY REFERENCES customers(id),
  purchase_count INTEGER NOT NULL,
  purchase_days INTEGER NOT NULL,
  first_purchase INTEGER,
  last_purchase INTEGER,
  last_event INTEGER,
  monetary REAL NOT NULL,
  last_response INTEGER,
  -- Latest time of any event or touch (any outcome): the aggregates hold "as of" any later date.
  max_time INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_activity_by_max_time ON customer_activity(max_time);
`;

/** Recomputes the rows of the customers selected by `customerFilter` (a WHERE on `c`). */
function refreshSql(customerFilter: string): string {
  return `
DELETE FROM customer_activity WHERE customer IN (SELECT c.id FROM customers c WHERE ${customerFilter});
INSERT INTO customer_activity (customer, purchase_count, purchase_days, first_purchase,
  last_purchase, last_event, monetary, last_response, max_time)
SELECT id, purchaseCount, purchaseDays, firstPurchase, lastPurchase, lastEvent, monetary,
  lastResponse, CASE WHEN lastEvent IS NULL THEN lastTouch WHEN lastTouch IS NULL THEN lastEvent
    ELSE max(lastEvent, lastTouch) END
FROM (SELECT c.id, ${activityAggregates('')},
    (SELECT max(t.time) FROM touches t WHERE t.customer = c.id) AS lastTouch
  FROM customers c LEFT JOIN events e ON e.customer = c.id
  WHERE ${customerFilter}
  GROUP BY c.id)
WHERE lastEvent IS NOT NULL OR lastTouch IS NOT NULL;`;
}

/** Migration body: the table, filled for every customer already stored. */
export const CUSTOMER_ACTIVITY_MIGRATION_SQL = CUSTOMER_ACTIVITY_TABLE_SQL + refreshSql('1');

/**
 * Collects the customers whose events or touches an import inserted and, at `flush()`, inside
 * the import's transaction, recomputes their aggregates: a failed import rolls both back.
 */
export class ActivityRefresher {
  private readonly dirty: TempIdSet;

  constructor(private readonly db: Database.Database) {
    this.dirty = new TempIdSet(db, 'activity_dirty');
  }

  changed(customer: number): void {
    this.dirty.add(customer);
  }

  flush(): void {
    if (this.dirty.added > 0) {
      this.dirty.write();
      this.db.exec(refreshSql('c.id IN (SELECT customer FROM temp.activity_dirty)'));
    }
    this.dirty.clear();
  }
}
