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

const DAY_MS = 86_400_000;
/** floor(time / day) for negative times too (SQLite integer division truncates toward zero). */
const DAY_SQL = `((e.time - (((e.time % ${DAY_MS}) + ${DAY_MS}) % ${DAY_MS})) / ${DAY_MS})`;

const CUSTOMERS_SQL = `
SELECT c.customer_id AS customerId, c.signup_day AS signupDay, c.attributes AS attributes,
  count(e.time) FILTER (WHERE e.type = 'purchase') AS purchaseCount,
  count(DISTINCT ${DAY_SQL}) FILTER (WHERE e.type = 'purchase') AS purchaseDays,
  min(e.time) FILTER (WHERE e.type = 'purchase') AS firstPurchase,
  max(e.time) FILTER (WHERE e.type = 'purchase') AS lastPurchase,
  max(e.time) AS lastEvent,
  total(e.amount) FILTER (WHERE e.type = 'purchase') AS monetary,
  (SELECT max(t.time) FROM touches t
    WHERE t.customer = c.id AND t.time < :asOf AND t.outcome <> 'none') AS lastResponse
FROM customers c LEFT JOIN events e ON e.customer = c.id AND e.time < :asOf
WHERE ${CONSENT_IN_FORCE_SQL}
GROUP BY c.customer_id
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

interface CustomerAggRow {
  customerId: string;
  signupDay: number | null;
  attributes: string | null;
  purchaseCount: number;
  purchaseDays: number;
  firstPurchase: number | null;
  lastPurchase: number | null;
  lastEvent: number | null;
  monetary: number;
  lastResponse: number | null;
}

const toDay = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / DAY_MS));

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
      for (const r of db
        .prepare(CUSTOMERS_SQL)
        .iterate(params) as IterableIterator<CustomerAggRow>) {
        const lastActivity =
          r.lastEvent === null
            ? r.lastResponse
            : r.lastResponse === null
              ? r.lastEvent
              : Math.max(r.lastEvent, r.lastResponse);
        yield {
          customerId: r.customerId,
          signupDay: r.signupDay,
          attributes: attributesOf(r.attributes),
          purchaseCount: r.purchaseCount,
          purchaseDays: r.purchaseDays,
          firstPurchaseDay: toDay(r.firstPurchase),
          lastPurchaseDay: toDay(r.lastPurchase),
          lastActivityDay: toDay(lastActivity),
          monetary: r.monetary,
        };
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
