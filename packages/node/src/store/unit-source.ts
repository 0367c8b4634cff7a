import type Database from 'better-sqlite3';
import { IsoDateSchema, ProtocolError, PurposeSchema, type Purpose } from '@fedmark/protocol';
import type {
  CustomerSummary,
  EventRow,
  TableRow,
  TouchRow,
  UnitSource,
} from '../analytics/types.ts';
import { CONSENT_IN_FORCE_SQL } from './_consent-sql.ts';
import { activityAggregates, type ActivityAggregateColumns } from './customer-activity.ts';
import { mergeByCustomerId } from './_merge-ordered.ts';
import { customerSummary } from './customer-summary.ts';
import { coerceCell, type CellValue, type ColumnType } from './_values.ts';
import { featureTableColumns, physicalColumnName, physicalTableName } from './feature-tables.ts';

export interface UnitSourceOptions {
  purpose: Purpose;
  /** Reference date YYYY-MM-DD: rows strictly before its 00:00 UTC are visible. */
  asOf: string;
  /**
   * Moment at which consent must be in force; defaults to now. As docs/node-data.md "Consent
   * semantics" says, a computation uses only customers whose consent is in force at the moment it
   * runs, whatever its reference date: a customer who revoked yesterday is out of a query "as of"
   * last year, and a lawful basis declared today covers it. Tests pass a fixed moment.
   */
  consentAt?: Date;
}

/**
 * Customers whose stored rows are all before asOf: their aggregates are read as kept
 * (customer-activity.ts), one row each. A customer with no event or touch has no aggregate row
 * and the zeros of an empty aggregation.
 */
const CURRENT_CUSTOMERS_SQL = `
SELECT c.customer_id AS customerId, c.signup_day AS signupDay, c.attributes AS attributes,
  coalesce(a.purchase_count, 0) AS purchaseCount, coalesce(a.purchase_days, 0) AS purchaseDays,
  a.first_purchase AS firstPurchase, a.last_purchase AS lastPurchase, a.last_event AS lastEvent,
  coalesce(a.monetary, 0.0) AS monetary, a.last_response AS lastResponse
FROM customers c LEFT JOIN customer_activity a ON a.customer = c.id
WHERE (a.max_time IS NULL OR a.max_time < :asOf) AND ${CONSENT_IN_FORCE_SQL}
ORDER BY c.customer_id`;

/**
 * Customers with a row on or after asOf: aggregated from their rows before it, as before. Driven
 * from the aggregates' max_time index and grouped in rowid order, so each customer's events are
 * one range of the events key (a tenth faster than scanning customers by id).
 */
const LATER_CUSTOMERS_SQL = `
SELECT c.customer_id AS customerId, c.signup_day AS signupDay, c.attributes AS attributes,
  ${activityAggregates('AND t.time < :asOf')}
FROM customer_activity s JOIN customers c ON c.id = s.customer
  LEFT JOIN events e ON e.customer = c.id AND e.time < :asOf
WHERE s.max_time >= :asOf AND ${CONSENT_IN_FORCE_SQL}
GROUP BY s.customer
ORDER BY c.customer_id`;

const EVENTS_SQL = `
SELECT c.customer_id AS customerId, e.time AS time, e.type AS type, e.amount AS amount,
  e.channel AS channel, e.category AS category
FROM customers c JOIN events e ON e.customer = c.id
WHERE e.time < :asOf AND ${CONSENT_IN_FORCE_SQL}
ORDER BY c.customer_id, e.time`;

const TOUCHES_SQL = `
SELECT c.customer_id AS customerId, t.time AS time, t.channel AS channel, t.campaign AS campaign,
  t.variant AS variant, t.outcome AS outcome
FROM customers c JOIN touches t ON t.customer = c.id
WHERE t.time < :asOf AND ${CONSENT_IN_FORCE_SQL}
ORDER BY c.customer_id, t.time`;

/**
 * A customer aggregate row as `.raw()` gives it, in the column order both customer statements
 * share: id, signup day, attributes JSON, then the activity aggregates.
 */
export type CustomerAggRow = [string, number | null, string | null, ...ActivityAggregateColumns];

/** Parses YYYY-MM-DD into epoch ms at 00:00 UTC, refusing impossible dates. */
export function asOfToMs(asOf: string): number {
  const parsed = IsoDateSchema.safeParse(asOf);
  if (!parsed.success)
    throw new ProtocolError(
      'BAD_REQUEST',
      `asOf "${String(asOf).slice(0, 32)}": ${parsed.error.issues[0]?.message ?? 'invalid'}`
    );
  return Date.parse(`${asOf}T00:00:00Z`);
}

/**
 * Read access for one analytics query (see analytics/types.ts): customers whose consent for
 * `purpose` is in force at `consentAt` (default: now), their events and touches
 * strictly before asOf, ordered by customerId then time. Everything streams from SQLite
 * (`iterate`), so memory stays flat for 10M-row tables. Each call of customers()/events()/...
 * starts a fresh scan; iterators may be open side by side (reads only).
 */
export function createUnitSource(db: Database.Database, opts: UnitSourceOptions): UnitSource {
  const purpose = PurposeSchema.parse(opts.purpose);
  const asOf = asOfToMs(opts.asOf);
  const consentAt = opts.consentAt ? opts.consentAt.getTime() : Date.now();
  if (!Number.isFinite(consentAt)) throw new TypeError('"consentAt" expected a valid Date');
  const params = { purpose, asOf, consentAt };
  const attributeColumns = db
    .prepare('SELECT name, type FROM customer_attribute_columns ORDER BY name')
    .all() as { name: string; type: ColumnType }[];

  const attributesOf = (json: string | null): Record<string, CellValue> => {
    const stored = json === null ? {} : (JSON.parse(json) as Record<string, unknown>);
    const out: Record<string, CellValue> = {};
    for (const col of attributeColumns) out[col.name] = coerceCell(stored[col.name], col.type);
    return out;
  };

  return {
    *customers(): Generator<CustomerSummary> {
      const rows = (sql: string) =>
        db.prepare(sql).raw().iterate(params) as IterableIterator<CustomerAggRow>;
      for (const r of mergeByCustomerId(
        rows(CURRENT_CUSTOMERS_SQL),
        rows(LATER_CUSTOMERS_SQL),
        (x) => x[0]
      )) {
        yield customerSummary(
          r[0],
          r[1],
          attributesOf(r[2]),
          r[3],
          r[4],
          r[5],
          r[6],
          r[7],
          r[8],
          r[9]
        );
      }
    },
    *events(): Generator<EventRow> {
      for (const r of db.prepare(EVENTS_SQL).iterate(params) as IterableIterator<EventRow>) {
        if (r.channel === '') r.channel = null;
        if (r.category === '') r.category = null;
        yield r;
      }
    },
    *touches(): Generator<TouchRow> {
      for (const r of db.prepare(TOUCHES_SQL).iterate(params) as IterableIterator<TouchRow>) {
        if (r.variant === '') r.variant = null;
        yield r;
      }
    },
    *tableRows(table: string): Generator<TableRow> {
      const phys = physicalTableName(table);
      const cols = featureTableColumns(db, table);
      const select = cols.map((c, i) => `f."${physicalColumnName(c.name)}" AS v${i}`).join(', ');
      const sql = `SELECT c.customer_id AS customerId${select ? `, ${select}` : ''}
        FROM customers c JOIN "${phys}" f ON f.customer = c.id
        WHERE ${CONSENT_IN_FORCE_SQL} ORDER BY c.customer_id`;
      const stmt = db.prepare(sql);
      for (const r of stmt.iterate({ purpose, consentAt }) as IterableIterator<
        Record<string, unknown>
      >) {
        const values: Record<string, CellValue> = {};
        cols.forEach((c, i) => {
          values[c.name] = coerceCell(r[`v${i}`], c.type);
        });
        yield { customerId: r['customerId'] as string, values };
      }
    },
  };
}
