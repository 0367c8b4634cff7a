/**
 * Internal: the PostgreSQL dialect of store/unit-source.ts's SQL, built from a validated mapping.
 * Identifiers come only from the mapping (IDENT_RE / TABLE_REF_RE, then double-quoted); every
 * value (purpose, asOf, consent moment, the node's own consent records) is a bind parameter.
 *
 * Parameters, the same for every statement:
 *   $1 purpose (text), $2 asOf (epoch ms), $3 consentAt (epoch ms),
 *   $4 / $5 / $6 the node's own consent records for $1 at or before $3 (customer ids, epoch ms,
 *   statuses), which take part in "latest record wins" beside the warehouse's.
 *
 * Order: customer ids are compared as text COLLATE "C" (byte order), which is the JavaScript
 * string order the analytics' merge-joins check (analytics/_merge.ts) for ASCII ids, and what
 * SQLite's BINARY collation gives. Ties in time follow the SQLite primary keys' column order.
 */
import type { RowHint } from '../analytics/types.ts';
import type { TimeType, WarehouseMapping } from './mapping.ts';

const DAY_MS = 86_400_000;

/** Double-quotes a name validated by IDENT_RE (no quote can occur in it). */
export const quoteIdent = (name: string): string => `"${name}"`;
export const quoteTable = (ref: string): string => ref.split('.').map(quoteIdent).join('.');

/** Epoch milliseconds (float8, whole) of a time column. */
function msOf(col: string, type: TimeType): string {
  return type === 'epoch_ms'
    ? `${col}::float8`
    : `floor(extract(epoch from ${col}) * 1000)::float8`;
}

/** `col < moment` written so an index on the raw column can serve it. */
function before(col: string, type: TimeType, param: string): string {
  return type === 'epoch_ms'
    ? `${col} < ${param}::float8`
    : `${col} < to_timestamp(${param}::float8 / 1000)`;
}
function atOrBefore(col: string, type: TimeType, param: string): string {
  return type === 'epoch_ms'
    ? `${col} <= ${param}::float8`
    : `${col} <= to_timestamp(${param}::float8 / 1000)`;
}

function signupDaySql(m: WarehouseMapping['customers']): string {
  const s = m.signup;
  if (!s) return 'NULL::int';
  const col = `c.${quoteIdent(s.column)}`;
  if (s.type === 'date') return `(${col} - DATE '1970-01-01')`;
  if (s.type === 'epoch_day') return `${col}::int`;
  return `floor(extract(epoch from ${col}) / 86400)::int`;
}

/**
 * The consent CTEs: `consented(cid)` = mapped customers whose latest consent record for $1 at or
 * before $3 (warehouse or node) is a grant; on a tie at the same millisecond a revocation wins,
 * as in store/_consent-sql.ts ('revoked' sorts after 'granted').
 */
function consentCtes(
  m: WarehouseMapping,
  opts: { mappedCustomersOnly: boolean; one?: string }
): string {
  const k = m.consents;
  const kt = `k.${quoteIdent(k.time.column)}`;
  // The node's own records join in the warehouse column's own type, so the sort below compares
  // raw times (no per-row conversion); to_timestamp keeps microseconds, more than ms needs.
  const own = k.time.type === 'epoch_ms' ? 'l.ms' : 'to_timestamp(l.ms / 1000)';
  // The customer summary joins the customers table itself; the row streams need the check here,
  // so that (as on SQLite, where every row hangs off a customer) no row of an unmapped id appears.
  const mapped = opts.mappedCustomersOnly
    ? `
    AND EXISTS (SELECT 1 FROM ${quoteTable(m.customers.table)} c
                WHERE c.${quoteIdent(m.customers.customerId)}::text = x.cid)`
    : '';
  // One customer's records only (a decision's point read), or everyone's.
  const oneK = opts.one ? ` AND k.${quoteIdent(k.customerId)}::text = ${opts.one}::text` : '';
  const oneL = opts.one ? ` WHERE l.cid = ${opts.one}::text` : '';
  return `consent_records AS (
  SELECT k.${quoteIdent(k.customerId)}::text AS cid, ${kt} AS t, k.${quoteIdent(k.status)}::text AS status
  FROM ${quoteTable(k.table)} k
  WHERE k.${quoteIdent(k.purpose)}::text = $1::text AND ${atOrBefore(kt, k.time.type, '$3')}${oneK}
  UNION ALL
  SELECT l.cid, ${own}, l.status FROM unnest($4::text[], $5::float8[], $6::text[]) AS l(cid, ms, status)${oneL}
), latest_consent AS (
  SELECT DISTINCT ON (r.cid) r.cid, r.status FROM consent_records r
  ORDER BY r.cid, r.t DESC, r.status COLLATE "C" DESC
), consented AS (
  SELECT x.cid FROM latest_consent x
  WHERE x.status = 'granted'${mapped}
)`;
}

/** The UTC day of a time column, as a date or a day number (the session runs in UTC). */
function dayOf(col: string, type: TimeType): string {
  return type === 'epoch_ms' ? `floor(${col}::float8 / ${DAY_MS})` : `(${col})::date`;
}

/**
 * Per-customer summary: the columns CustomerAggRow reads, attributes after them in mapping order.
 * By default only customers whose consent is in force (a segment query's source). With
 * `everyone`, every mapped customer and, as the last column, whether its consent is in force (a
 * decision reads every customer and answers "no consent" itself); with `one`, the parameter
 * holding one customer id (a decision's point read), every part filtered to it.
 */
export function customersSql(
  m: WarehouseMapping,
  o: { everyone?: boolean; one?: string } = {}
): string {
  const e = m.events;
  const et = `e.${quoteIdent(e.time.column)}`;
  const tt = e.time.type;
  const purchase = `e.${quoteIdent(e.type)}::text = 'purchase'`;
  const amount = e.amount ? `e.${quoteIdent(e.amount)}::float8` : 'NULL::float8';
  const attrs = m.customers.attributes
    .map((a, i) => `, c.${quoteIdent(a.column)} AS a${i}`)
    .join('');
  const only = (col: string): string => (o.one ? ` AND ${col}::text = ${o.one}::text` : '');
  const t = m.touches;
  const touchCte = t
    ? `, touch_activity AS (
  SELECT t.${quoteIdent(t.customerId)}::text AS cid, max(t.${quoteIdent(t.time.column)}) AS last_response
  FROM ${quoteTable(t.table)} t
  WHERE ${before(`t.${quoteIdent(t.time.column)}`, t.time.type, '$2')}
    AND t.${quoteIdent(t.outcome)}::text <> 'none'${only(`t.${quoteIdent(t.customerId)}`)}
  GROUP BY 1)`
    : '';
  const cid = `c.${quoteIdent(m.customers.customerId)}::text`;
  // Everyone: the consent is a flag on a LEFT JOIN; otherwise the join itself filters.
  const id = o.everyone ? cid : 'k.cid';
  const consentJoin = o.everyone
    ? `LEFT JOIN latest_consent k ON k.cid = ${cid}`
    : `JOIN consented k ON k.cid = ${cid}`;
  const flag = o.everyone ? `, coalesce(k.status = 'granted', false)` : '';
  // One GROUP BY customer over the raw columns; times become epoch ms only on the aggregated
  // row (converting every event row cost more than the aggregation). count(DISTINCT day) makes
  // it a sorted aggregate, which an index on (customer, time) feeds without a sort. Grouped by
  // the distribution column, Citus runs it whole on each shard (docs/warehouse.md).
  return `WITH ${consentCtes(m, { mappedCustomersOnly: false, ...(o.one ? { one: o.one } : {}) })}, event_summary AS (
  SELECT e.${quoteIdent(e.customerId)}::text AS cid,
    count(*) FILTER (WHERE ${purchase})::float8 AS purchase_count,
    count(DISTINCT ${dayOf(et, tt)}) FILTER (WHERE ${purchase})::float8 AS purchase_days,
    min(${et}) FILTER (WHERE ${purchase}) AS first_purchase,
    max(${et}) FILTER (WHERE ${purchase}) AS last_purchase,
    max(${et}) AS last_event,
    sum(${amount}) FILTER (WHERE ${purchase}) AS monetary
  FROM ${quoteTable(e.table)} e
  WHERE ${before(et, tt, '$2')}${only(`e.${quoteIdent(e.customerId)}`)}
  GROUP BY 1
)${touchCte}
SELECT ${id}, ${signupDaySql(m.customers)} AS signup_day,
  coalesce(s.purchase_count, 0), coalesce(s.purchase_days, 0),
  ${msOf('s.first_purchase', tt)}, ${msOf('s.last_purchase', tt)}, ${msOf('s.last_event', tt)},
  coalesce(s.monetary, 0)::float8, ${t ? msOf('ta.last_response', t.time.type) : 'NULL::float8'}${attrs}${flag}
FROM ${quoteTable(m.customers.table)} c
${consentJoin}
LEFT JOIN event_summary s ON s.cid = ${id}
${t ? `LEFT JOIN touch_activity ta ON ta.cid = ${id}` : ''}
${o.one ? `WHERE ${cid} = ${o.one}::text` : ''}
ORDER BY ${id} COLLATE "C"`;
}

/**
 * Touches per customer and channel in [fromMs, $2) of consented customers (a decision's fatigue
 * window): cid, channel, count, ordered by cid. With `one`, that customer's only.
 */
export function touchWindowSql(
  m: WarehouseMapping,
  o: { fromMs: number; one?: string }
): string | null {
  const t = m.touches;
  if (!t) return null;
  const tt = `t.${quoteIdent(t.time.column)}`;
  const cid = `t.${quoteIdent(t.customerId)}::text`;
  return `WITH ${consentCtes(m, { mappedCustomersOnly: true, ...(o.one ? { one: o.one } : {}) })}
SELECT k.cid, t.${quoteIdent(t.channel)}::text AS channel, count(*)::float8
FROM ${quoteTable(t.table)} t JOIN consented k ON k.cid = ${cid}
WHERE ${before(tt, t.time.type, '$2')}${sinceSql(tt, t.time.type, o.fromMs)}${o.one ? ` AND ${cid} = ${o.one}::text` : ''}
GROUP BY 1, 2
ORDER BY k.cid COLLATE "C", t.${quoteIdent(t.channel)}::text COLLATE "C"`;
}

/** One customer's row of a feature table ($1 the id): the mapped columns in order. */
export function tableRowSql(m: WarehouseMapping, name: string): string | null {
  const f = m.tables.find((t) => t.name === name);
  if (!f) return null;
  const cols = f.columns.map((c, i) => `f.${quoteIdent(c.column)} AS v${i}`).join(', ');
  return `SELECT ${cols || '1'} FROM ${quoteTable(f.table)} f
WHERE f.${quoteIdent(f.customerId)}::text = $1::text LIMIT 1`;
}

const textOrNull = (alias: string, col: string | undefined): string =>
  col ? `nullif(${alias}.${quoteIdent(col)}::text, '')` : 'NULL::text';

/** A RowHint's `fromMs` as a condition on a time column (the number is checked, then a literal). */
function sinceSql(col: string, type: TimeType, fromMs: number | undefined): string {
  if (fromMs === undefined) return '';
  if (!Number.isFinite(fromMs)) throw new RangeError('"fromMs" expected a finite number');
  return type === 'epoch_ms'
    ? ` AND ${col} >= ${fromMs}::float8`
    : ` AND ${col} >= to_timestamp(${fromMs}::float8 / 1000)`;
}

/**
 * A RowHint's `perCustomer` around a row statement whose first column is the customer id: the
 * earliest rows of each customer in the statement's own order (row_number over the same ORDER
 * BY), in that order. The number is checked, then written as a literal, so the statements keep
 * the common parameters.
 */
/** A row statement's parts: the CTEs, the output columns (the customer id first), FROM .. WHERE, order. */
export interface RowStatement {
  cte: string;
  columns: string[];
  from: string;
  order: string;
}

/**
 * The statement's columns as c0, c1, ... with `rn`, each row's position among its customer's
 * rows in the statement's own order (row_number over the same ORDER BY): a subquery.
 */
export function numberedRowsSql(body: RowStatement): string {
  const cols = body.columns.map((c, i) => `${c} AS c${i}`).join(', ');
  return `SELECT ${cols}, row_number() OVER (PARTITION BY k.cid ORDER BY ${body.order}) AS rn
  ${body.from}`;
}

/** Checks a per-customer row limit before it is written into a statement as a literal. */
export function rowLimit(n: number): number {
  if (!(Number.isInteger(n) && n >= 1))
    throw new RangeError('"perCustomer" expected a positive integer');
  return n;
}

/**
 * A RowHint's `perCustomer` around a row statement whose first column is the customer id: the
 * earliest rows of each customer in the statement's own order, in that order. The number is
 * checked, then written as a literal, so the statements keep the common parameters.
 */
function perCustomerSql(body: RowStatement, perCustomer: number | undefined): string {
  if (perCustomer === undefined)
    return `${body.cte}\nSELECT ${body.columns.join(', ')}\n${body.from}\nORDER BY ${body.order}`;
  const out = body.columns.map((_, i) => `r.c${i}`).join(', ');
  return `${body.cte}
SELECT ${out} FROM (
  ${numberedRowsSql(body)}
) r
WHERE r.rn <= ${rowLimit(perCustomer)}
ORDER BY r.c0 COLLATE "C", r.rn`;
}

/** Events before $2 of consented customers: cid, ms, type, amount, channel, category. */
export function eventsSql(m: WarehouseMapping, hint: RowHint = {}): string {
  return perCustomerSql(eventRows(m, hint), hint.perCustomer);
}

/** eventsSql's statement; `extra` is one more condition on the consented customer `k.cid`. */
export function eventRows(m: WarehouseMapping, hint: RowHint = {}, extra = ''): RowStatement {
  const e = m.events;
  const et = `e.${quoteIdent(e.time.column)}`;
  const ms = msOf(et, e.time.type);
  const type = `e.${quoteIdent(e.type)}::text`;
  const amount = e.amount ? `e.${quoteIdent(e.amount)}::float8` : 'NULL::float8';
  const channel = textOrNull('e', e.channel);
  const category = textOrNull('e', e.category);
  // ORDER BY names expressions, not output positions: `1 COLLATE "C"` would be a constant.
  return {
    cte: `WITH ${consentCtes(m, { mappedCustomersOnly: true })}`,
    columns: ['k.cid', ms, type, amount, channel, category],
    from: `FROM ${quoteTable(e.table)} e JOIN consented k ON k.cid = e.${quoteIdent(e.customerId)}::text
WHERE ${before(et, e.time.type, '$2')}${sinceSql(et, e.time.type, hint.fromMs)}${extra}`,
    order: `k.cid COLLATE "C", ${ms}, ${type} COLLATE "C", coalesce(${channel}, '') COLLATE "C",
  coalesce(${category}, '') COLLATE "C", ${amount}`,
  };
}

/** Touches before $2 of consented customers: cid, ms, channel, campaign, variant, outcome. */
export function touchesSql(m: WarehouseMapping, hint: RowHint = {}): string | null {
  const body = touchRows(m, hint);
  return body && perCustomerSql(body, hint.perCustomer);
}

/** touchesSql's statement (null without a touches mapping); `extra` as for eventRows. */
export function touchRows(
  m: WarehouseMapping,
  hint: RowHint = {},
  extra = ''
): RowStatement | null {
  const t = m.touches;
  if (!t) return null;
  const tt = `t.${quoteIdent(t.time.column)}`;
  const ms = msOf(tt, t.time.type);
  const channel = `t.${quoteIdent(t.channel)}::text`;
  const campaign = `t.${quoteIdent(t.campaign)}::text`;
  const variant = textOrNull('t', t.variant);
  return {
    cte: `WITH ${consentCtes(m, { mappedCustomersOnly: true })}`,
    columns: ['k.cid', ms, channel, campaign, variant, `t.${quoteIdent(t.outcome)}::text`],
    from: `FROM ${quoteTable(t.table)} t JOIN consented k ON k.cid = t.${quoteIdent(t.customerId)}::text
WHERE ${before(tt, t.time.type, '$2')}${sinceSql(tt, t.time.type, hint.fromMs)}${extra}`,
    order: `k.cid COLLATE "C", ${ms}, ${channel} COLLATE "C", ${campaign} COLLATE "C",
  coalesce(${variant}, '') COLLATE "C"`,
  };
}

/** The consented, mapped customers' ids in id order: whose rows a push-down reads. */
export function consentedIdsSql(m: WarehouseMapping): string {
  return `WITH ${consentCtes(m, { mappedCustomersOnly: true })}
SELECT x.cid FROM consented x
WHERE $2::float8 IS NOT NULL -- ids have no time: asOf is typed, not applied
ORDER BY x.cid COLLATE "C"`;
}

/** A feature table's rows of consented customers: cid, then the mapped columns in order. */
export function tableRowsSql(m: WarehouseMapping, name: string): string | null {
  const f = m.tables.find((t) => t.name === name);
  if (!f) return null;
  const cols = f.columns.map((c, i) => `, f.${quoteIdent(c.column)} AS v${i}`).join('');
  return `WITH ${consentCtes(m, { mappedCustomersOnly: true })}
SELECT k.cid${cols}
FROM ${quoteTable(f.table)} f JOIN consented k ON k.cid = f.${quoteIdent(f.customerId)}::text
WHERE $2::float8 IS NOT NULL -- feature rows have no time: asOf is typed, not applied
ORDER BY k.cid COLLATE "C"`;
}

/**
 * CLV summaries of the customers with a purchase before the cut (clv/score-summaries.ts is the
 * SQLite twin and the definition): cid, purchase days after the first (frequency), first and
 * last purchase day (days since 1970-01-01, UTC), and the amount of the repeat days. Purchases on
 * one day are one transaction; an event without an amount adds 0, as SQLite's total() does.
 * A clv round reads consented customers (the common parameters, the cut is $2); scoring reads
 * every mapped customer, as on SQLite (`everyone`: the cut is the only parameter, $1).
 */
export function clvSummariesSql(m: WarehouseMapping, o: { everyone?: boolean } = {}): string {
  const e = m.events;
  const et = `e.${quoteIdent(e.time.column)}`;
  const day =
    e.time.type === 'epoch_ms'
      ? `floor(${et}::float8 / ${DAY_MS})::int`
      : `((${et})::date - DATE '1970-01-01')`;
  const amount = e.amount ? `e.${quoteIdent(e.amount)}::float8` : 'NULL::float8';
  const cut = o.everyone ? '$1' : '$2';
  // EXISTS, not a join: a customers table with a repeated id must not count a customer twice.
  const who = o.everyone
    ? `WHERE EXISTS (SELECT 1 FROM ${quoteTable(m.customers.table)} c WHERE c.${quoteIdent(m.customers.customerId)}::text = t.cid)`
    : 'JOIN consented k ON k.cid = t.cid';
  return `WITH ${o.everyone ? '' : `${consentCtes(m, { mappedCustomersOnly: true })}, `}purchase_days AS (
  SELECT e.${quoteIdent(e.customerId)}::text AS cid, ${day} AS day, coalesce(sum(${amount}), 0) AS amount
  FROM ${quoteTable(e.table)} e
  WHERE e.${quoteIdent(e.type)}::text = 'purchase' AND ${before(et, e.time.type, cut)}
  GROUP BY 1, 2
), tagged AS (
  SELECT d.cid, d.day, d.amount, min(d.day) OVER (PARTITION BY d.cid) AS first FROM purchase_days d
)
SELECT t.cid, (count(*) - 1)::float8, min(t.first)::float8, max(t.day)::float8,
  coalesce(sum(t.amount) FILTER (WHERE t.day > t.first), 0)::float8
FROM tagged t ${who}
GROUP BY t.cid
ORDER BY t.cid COLLATE "C"`;
}
