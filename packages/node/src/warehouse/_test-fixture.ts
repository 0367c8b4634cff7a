/**
 * Internal test helper: a warehouse schema in the shape an institution might have (timestamps,
 * numeric amounts, one epoch-ms column, a feature table under another name) and its mapping,
 * filled from the contract suite's data or any rows the tests give.
 */
import type { ContractData } from '../analytics/unit-source-contract-data.ts';
import type { EventRow, TouchRow } from '../analytics/types.ts';
import type { WarehouseMappingInput } from './mapping.ts';
import type { TestPostgres } from './_test-postgres.ts';

export const FIXTURE_URL_ENV = 'FEDMARK_TEST_WAREHOUSE_URL';

/** The mapping of fixtureSchema(); feature tables are added per data set. */
export function fixtureMapping(
  schema: string,
  tables: WarehouseMappingInput['tables'] = []
): WarehouseMappingInput {
  return {
    version: 1,
    connection: { env: FIXTURE_URL_ENV },
    customers: {
      table: `${schema}.crm_customers`,
      customerId: 'cust_ref',
      signup: { column: 'joined_on', type: 'date' },
      attributes: [
        { name: 'region', column: 'region', type: 'text' },
        { name: 'age', column: 'age', type: 'integer' },
      ],
    },
    events: {
      table: `${schema}.crm_events`,
      customerId: 'cust_ref',
      time: { column: 'occurred_at', type: 'timestamp' },
      type: 'kind',
      amount: 'amount',
      channel: 'channel',
      category: 'category',
    },
    touches: {
      table: `${schema}.crm_touches`,
      customerId: 'cust_ref',
      time: { column: 'sent_ms', type: 'epoch_ms' },
      channel: 'channel',
      campaign: 'campaign',
      variant: 'variant',
      outcome: 'outcome',
    },
    consents: {
      table: `${schema}.crm_consents`,
      customerId: 'cust_ref',
      purpose: 'purpose',
      status: 'status',
      time: { column: 'recorded_at', type: 'timestamp' },
    },
    tables,
  };
}

export const lit = (v: string | number | null | undefined): string =>
  v === null || v === undefined
    ? 'NULL'
    : typeof v === 'number'
      ? String(v)
      : `'${v.replace(/'/g, "''")}'`;
const ts = (ms: number): string => `to_timestamp(${ms} / 1000.0)`;

export function fixtureSchemaSql(schema: string): string {
  return `DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};
CREATE TABLE ${schema}.crm_customers (cust_ref text PRIMARY KEY, joined_on date, region text, age int);
CREATE TABLE ${schema}.crm_events (cust_ref text NOT NULL, occurred_at timestamptz NOT NULL,
  kind text NOT NULL, amount numeric(14, 2), channel text, category text);
CREATE TABLE ${schema}.crm_touches (cust_ref text NOT NULL, sent_ms bigint NOT NULL, channel text NOT NULL,
  campaign text NOT NULL, variant text, outcome text NOT NULL);
CREATE TABLE ${schema}.crm_consents (cust_ref text NOT NULL, purpose text NOT NULL, status text NOT NULL,
  recorded_at timestamptz NOT NULL);
`;
}

export interface FixtureRows {
  customers: {
    customerId: string;
    signupDay: number | null;
    region?: string | null;
    age?: number | null;
  }[];
  events: EventRow[];
  touches: TouchRow[];
  consents: { customerId: string; purpose: string; status: string; time: number }[];
}

export function fixtureRowsSql(schema: string, rows: FixtureRows): string {
  const out: string[] = [];
  const values = (table: string, cols: string, tuples: string[]): void => {
    for (let i = 0; i < tuples.length; i += 1000)
      out.push(
        `INSERT INTO ${schema}.${table} (${cols}) VALUES ${tuples.slice(i, i + 1000).join(',')};`
      );
  };
  values(
    'crm_customers',
    'cust_ref, joined_on, region, age',
    rows.customers.map(
      (c) =>
        `(${lit(c.customerId)}, ${c.signupDay === null ? 'NULL' : `DATE '1970-01-01' + ${c.signupDay}`}, ${lit(c.region)}, ${lit(c.age)})`
    )
  );
  values(
    'crm_events',
    'cust_ref, occurred_at, kind, amount, channel, category',
    rows.events.map(
      (e) =>
        `(${lit(e.customerId)}, ${ts(e.time)}, ${lit(e.type)}, ${lit(e.amount)}, ${lit(e.channel)}, ${lit(e.category)})`
    )
  );
  values(
    'crm_touches',
    'cust_ref, sent_ms, channel, campaign, variant, outcome',
    rows.touches.map(
      (t) =>
        `(${lit(t.customerId)}, ${t.time}, ${lit(t.channel)}, ${lit(t.campaign)}, ${lit(t.variant)}, ${lit(t.outcome)})`
    )
  );
  values(
    'crm_consents',
    'cust_ref, purpose, status, recorded_at',
    rows.consents.map(
      (k) => `(${lit(k.customerId)}, ${lit(k.purpose)}, ${lit(k.status)}, ${ts(k.time)})`
    )
  );
  return out.join('\n');
}

/** Loads the contract suite's data (analytics consent for everyone since 2020) into `schema`. */
export function loadContractData(pg: TestPostgres, schema: string, data: ContractData): void {
  const risk = data.tables['risk'] ?? [];
  pg.psql(
    `${fixtureSchemaSql(schema)}
CREATE TABLE ${schema}.risk_scores (cust_ref text PRIMARY KEY, vol float8);
${risk.map((r) => `INSERT INTO ${schema}.risk_scores VALUES (${lit(r.customerId)}, ${lit(r.values['vol'] as number)});`).join('\n')}
${fixtureRowsSql(schema, {
  customers: data.customers.map((c) => ({
    customerId: c.customerId,
    signupDay: c.signupDay ?? null,
    region: (c.attributes?.['region'] as string | null | undefined) ?? null,
  })),
  events: data.events,
  touches: data.touches,
  consents: data.customers.map((c) => ({
    customerId: c.customerId,
    purpose: 'analytics',
    status: 'granted',
    time: Date.parse('2020-01-01T00:00:00Z'),
  })),
})}`
  );
}
