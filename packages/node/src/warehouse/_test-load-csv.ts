/**
 * Internal test and bench helper: loads the node's CSV import formats (synth/ writes them) into
 * PostgreSQL tables with `\copy` (COPY through psql, streamed from the file) and returns the
 * mapping that reads them, so one set of files feeds both backends.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { WarehouseMappingInput } from './mapping.ts';
import type { TestPostgres } from './_test-postgres.ts';

export interface CsvFiles {
  customers: string;
  events: string;
  touches?: string;
  consents: string;
  /** Feature tables: name -> file and typed columns (the id column first, named customer_id). */
  tables?: Record<
    string,
    { file: string; columns: { name: string; type: 'integer' | 'real' | 'text' }[] }
  >;
}

const PG_TYPE = { integer: 'bigint', real: 'float8', text: 'text' } as const;
const path = (f: string): string => `'${f.replace(/'/g, "''")}'`;

/** `table (col, ...) FROM 'file'`: the CSV header names the columns, in the file's order. */
function copyFrom(table: string, file: string): string {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const header = buf.subarray(0, n).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!/^[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)*$/.test(header))
    throw new Error(`${file}: unexpected CSV header "${header.slice(0, 100)}"`);
  return `\\copy ${table} (${header.split(',').join(', ')}) FROM ${path(file)} CSV HEADER`;
}

export function loadCsvIntoPostgres(
  pg: TestPostgres,
  schema: string,
  files: CsvFiles,
  attributes: { name: string; type: 'integer' | 'real' | 'text' }[],
  opts: { indexes?: boolean } = {}
): WarehouseMappingInput {
  const attrCols = attributes.map((a) => `, ${a.name} ${PG_TYPE[a.type]}`).join('');
  const tables = Object.entries(files.tables ?? {});
  pg.psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};
CREATE TABLE ${schema}.customers (customer_id text PRIMARY KEY, signup_date date${attrCols});
CREATE TABLE ${schema}.events (customer_id text NOT NULL, time timestamptz NOT NULL, type text NOT NULL,
  amount numeric(14, 2), channel text, category text);
CREATE TABLE ${schema}.touches (customer_id text NOT NULL, time timestamptz NOT NULL, channel text NOT NULL,
  campaign text NOT NULL, variant text, outcome text NOT NULL);
CREATE TABLE ${schema}.consents (customer_id text NOT NULL, purpose text NOT NULL, status text NOT NULL,
  time timestamptz NOT NULL, source text);
${tables
  .map(
    ([name, t]) =>
      `CREATE TABLE ${schema}.ft_${name} (customer_id text PRIMARY KEY${t.columns.map((c) => `, ${c.name} ${PG_TYPE[c.type]}`).join('')});`
  )
  .join('\n')}
${copyFrom(`${schema}.customers`, files.customers)}
${copyFrom(`${schema}.events`, files.events)}
${files.touches ? copyFrom(`${schema}.touches`, files.touches) : ''}
${copyFrom(`${schema}.consents`, files.consents)}
${tables.map(([name, t]) => copyFrom(`${schema}.ft_${name}`, t.file)).join('\n')}
${
  opts.indexes === false
    ? ''
    : `CREATE INDEX ON ${schema}.events (customer_id, time);
CREATE INDEX ON ${schema}.touches (customer_id, time);
CREATE INDEX ON ${schema}.consents (customer_id, purpose, time);`
}
ANALYZE;
`);
  const ts = (column: string) => ({ column, type: 'timestamp' as const });
  return {
    version: 1,
    connection: { env: 'FEDMARK_TEST_WAREHOUSE_URL' },
    customers: {
      table: `${schema}.customers`,
      customerId: 'customer_id',
      signup: { column: 'signup_date', type: 'date' },
      attributes: attributes.map((a) => ({ name: a.name, column: a.name, type: a.type })),
    },
    events: {
      table: `${schema}.events`,
      customerId: 'customer_id',
      time: ts('time'),
      type: 'type',
      amount: 'amount',
      channel: 'channel',
      category: 'category',
    },
    ...(files.touches
      ? {
          touches: {
            table: `${schema}.touches`,
            customerId: 'customer_id',
            time: ts('time'),
            channel: 'channel',
            campaign: 'campaign',
            variant: 'variant',
            outcome: 'outcome',
          },
        }
      : {}),
    consents: {
      table: `${schema}.consents`,
      customerId: 'customer_id',
      purpose: 'purpose',
      status: 'status',
      time: ts('time'),
    },
    tables: tables.map(([name, t]) => ({
      name,
      table: `${schema}.ft_${name}`,
      customerId: 'customer_id',
      columns: t.columns.map((c) => ({ name: c.name, column: c.name, type: c.type })),
    })),
  };
}
