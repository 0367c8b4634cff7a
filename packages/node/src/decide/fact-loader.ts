import type Database from 'better-sqlite3';
import {
  LifecycleParamsSchema,
  NesParamsSchema,
  ProtocolError,
  RfmParamsSchema,
  type Model,
} from '@fedmark/protocol';
import { civilOfDay, DAY_MS } from '../analytics/_days.ts';
import { toNumber } from '../analytics/cell-index.ts';
import { lifecycleStage, type DeriveContext } from '../analytics/customer-fields.ts';
import { pseudonymFor, type NodeIdentity } from '../identity/identity.ts';
import { CONSENT_IN_FORCE_SQL } from '../store/_consent-sql.ts';
import { activityAggregates, type ActivityAggregateColumns } from '../store/customer-activity.ts';
import { customerSummary } from '../store/customer-summary.ts';
import type { CustomerAggRow } from '../store/unit-source.ts';
import { coerceCell, type CellValue, type ColumnType } from '../store/_values.ts';
import { featureRowReader, modelScorer, type RowReader } from './_feature-reader.ts';
import type { CompiledPolicy } from './compile.ts';
import type { CustomerFacts } from './decision.ts';

/**
 * A customer's decision facts from the node's own SQLite store (docs/decide.md "Facts"), at one
 * moment. One customer is a handful of indexed reads: the customer by its unique id with its
 * kept aggregates (store/customer-activity.ts) and consent, the touches of the last 7 days (a
 * range of the touches primary key), one feature row per model (integer primary key). The batch
 * streams customers in rowid order with the same point reads, so memory stays flat. Customers
 * without marketing consent get no further read: the decision needs nothing else about them.
 */

const FATIGUE_MS = 7 * DAY_MS;

/** Columns of CUSTOMER_SQL, read with .raw(): rowid, the customer aggregate row, max time, consented. */
type CustomerRow = [number, ...CustomerAggRow, number | null, number];

const customerSql = (where: string, attributes: boolean) => `
SELECT c.id, c.customer_id, c.signup_day, ${attributes ? 'c.attributes' : 'NULL'},
  coalesce(a.purchase_count, 0), coalesce(a.purchase_days, 0), a.first_purchase, a.last_purchase,
  a.last_event, coalesce(a.monetary, 0.0), a.last_response, a.max_time,
  ${CONSENT_IN_FORCE_SQL} AS consented
FROM customers c LEFT JOIN customer_activity a ON a.customer = c.id
${where}`;

/** The aggregates of a customer with rows after the moment, from their rows before it. */
const AS_OF_SQL = `
SELECT ${activityAggregates('AND t.time < :until')}
FROM customers c LEFT JOIN events e ON e.customer = c.id AND e.time < :until
WHERE c.id = :id GROUP BY c.id`;

const TOUCHES_SQL = `SELECT channel, count(*) FROM touches
WHERE customer = ? AND time >= ? AND time < ? GROUP BY channel`;

export interface FactLoader {
  /** One customer by id: `unknown` or `erased` when the store has no such customer. */
  one(customerId: string): CustomerFacts;
  /** Every customer, in rowid order, streamed. */
  all(): Generator<CustomerFacts>;
}

export interface FactLoaderOptions {
  db: Database.Database;
  identity: NodeIdentity;
  policy: CompiledPolicy;
  models: ReadonlyMap<string, Model>;
  now: Date;
}

/**
 * The moment of a decision run: rows at the moment itself count as before it (a touch sent now
 * is a touch in the window), so reads stop at `until`; the fatigue window starts 7 days earlier;
 * derived fields (lifecycle) are as of the moment's day with the policy's thresholds.
 */
export function decisionMoment(
  policy: CompiledPolicy,
  now: Date
): { nowMs: number; until: number; windowStart: number; k: DeriveContext } {
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new TypeError('"now" expected a valid Date');
  const asOfDay = Math.floor(nowMs / DAY_MS);
  return {
    nowMs,
    until: nowMs + 1,
    windowStart: nowMs - FATIGUE_MS,
    k: {
      asOfDay,
      asOfCivil: civilOfDay(asOfDay),
      params: {
        lifecycle: LifecycleParamsSchema.parse(policy.policy.lifecycle),
        nes: NesParamsSchema.parse({}),
        rfm: RfmParamsSchema.parse({}),
      },
    },
  };
}

/** Facts of a customer the decision can say nothing more about: unknown, erased, or no consent. */
export function factsWithoutConsent(
  customerId: string,
  status: CustomerFacts['status']
): CustomerFacts {
  return {
    customerId,
    status,
    marketingConsent: false,
    stage: null,
    clvValue: null,
    scores: {},
    touches7d: {},
  };
}

export function createFactLoader(o: FactLoaderOptions): FactLoader {
  const { db, policy } = o;
  const { nowMs, until, k } = decisionMoment(policy, o.now);
  const params = { purpose: 'marketing', consentAt: nowMs };
  const clvField = policy.policy.clv?.field ?? null;
  const attr = clvField?.startsWith('attr.') ? clvField.slice(5) : null;
  let clvRow: RowReader | null = null;
  let clvColumn = '';
  if (clvField?.startsWith('table.')) {
    const [, table, column] = clvField.split('.') as [string, string, string];
    clvRow = featureRowReader(db, table, [column]);
    clvColumn = column;
  }
  const attrType = attr
    ? ((db
        .prepare('SELECT type FROM customer_attribute_columns WHERE name = ?')
        .pluck()
        .get(attr) as ColumnType | undefined) ?? 'text')
    : null;
  const scorers = Object.entries(policy.policy.models).map(([name, ref]) => {
    const model = o.models.get(name);
    if (!model) throw new ProtocolError('BAD_REQUEST', `model "${name}" was not loaded`);
    return [name, modelScorer(db, model, ref.table)] as const;
  });
  const byId = db.prepare(customerSql('WHERE c.customer_id = :id', attr !== null)).raw();
  const every = db.prepare(customerSql('ORDER BY c.id', attr !== null)).raw();
  const asOf = db.prepare(AS_OF_SQL).raw();
  const touches = db.prepare(TOUCHES_SQL).raw();
  const erased = db.prepare('SELECT 1 FROM erased_customers WHERE pseudonym = ?').pluck();

  const clvOf = (r: CustomerRow, monetary: number): number | null => {
    if (clvField === null) return null;
    if (attr !== null) {
      const stored = r[3] === null ? {} : (JSON.parse(r[3]) as Record<string, unknown>);
      return toNumber(coerceCell(stored[attr], attrType as ColumnType));
    }
    if (clvRow) return toNumber((clvRow(r[0])?.[clvColumn] ?? null) as CellValue);
    return monetary;
  };

  const factsOf = (r: CustomerRow): CustomerFacts => {
    const customerId = r[1];
    if (r[12] !== 1) return factsWithoutConsent(customerId, 'known');
    let agg = r.slice(4, 11) as ActivityAggregateColumns;
    if (r[11] !== null && r[11] >= until) agg = asOf.get({ id: r[0], until }) as typeof agg;
    const summary = customerSummary(customerId, r[2], {}, ...agg);
    const scores: Record<string, number | null> = {};
    for (const [name, score] of scorers) scores[name] = score(r[0]);
    const touches7d: Record<string, number> = {};
    for (const [channel, n] of touches.all(r[0], nowMs - FATIGUE_MS, until) as [string, number][])
      touches7d[channel] = n;
    return {
      customerId,
      status: 'known',
      marketingConsent: true,
      stage: lifecycleStage(summary, k),
      clvValue: clvOf(r, summary.monetary),
      scores,
      touches7d,
    };
  };

  return {
    one(customerId) {
      const r = byId.get({ ...params, id: customerId }) as CustomerRow | undefined;
      if (r) return factsOf(r);
      const gone = erased.get(pseudonymFor(o.identity, customerId)) !== undefined;
      return factsWithoutConsent(customerId, gone ? 'erased' : 'unknown');
    },
    *all() {
      for (const r of every.iterate(params) as IterableIterator<CustomerRow>) yield factsOf(r);
    },
  };
}
