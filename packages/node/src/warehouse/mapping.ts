/**
 * The warehouse mapping (docs/warehouse.md): which PostgreSQL tables and columns hold the node's
 * customer, event, touch, consent and feature views. Every name becomes a SQL identifier, so
 * each one must match IDENT_RE and is then double-quoted (sql-identifiers.ts): with that
 * alphabet quoting cannot be escaped, and nothing else from the file reaches the SQL text.
 * The connection string itself is never in the mapping, only where to find it (an environment
 * variable or an owner-only file), so the mapping can be shown, copied and committed.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ProtocolError } from '@fedmark/protocol';
import { FEATURE_COLUMN_NAME_RE, FEATURE_TABLE_NAME_RE } from '../store/feature-tables.ts';

/** A PostgreSQL identifier we can quote safely (63 bytes is PostgreSQL's NAMEDATALEN - 1). */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** A table, optionally schema-qualified: `events` or `crm.events`. */
export const TABLE_REF_RE = /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const ENV_NAME_RE = /^[A-Z_][A-Z0-9_]{0,127}$/;

const Ident = z
  .string()
  .regex(IDENT_RE, 'expected a column name: a letter or _, then letters, digits or _ (at most 63)');
const TableRef = z
  .string()
  .regex(TABLE_REF_RE, 'expected a table name, optionally schema.table (letters, digits, _)');

/** How a time column is stored: a timestamp (with or without time zone, read as UTC) or epoch ms. */
export const TimeTypeSchema = z.enum(['timestamp', 'epoch_ms']);
export type TimeType = z.infer<typeof TimeTypeSchema>;
const TimeColumn = z.strictObject({ column: Ident, type: TimeTypeSchema });
const SignupColumn = z.strictObject({
  column: Ident,
  type: z.enum(['date', 'timestamp', 'epoch_day']),
});
const CellType = z.enum(['integer', 'real', 'text']);

const CustomersMapping = z.strictObject({
  table: TableRef,
  customerId: Ident,
  signup: SignupColumn.optional(),
  /** Attributes the node exposes as attr.<name>, with the type the analytics read them as. */
  attributes: z
    .array(
      z.strictObject({
        name: z.string().regex(FEATURE_COLUMN_NAME_RE, `expected ${FEATURE_COLUMN_NAME_RE.source}`),
        column: Ident,
        type: CellType,
      })
    )
    .default([]),
});

const EventsMapping = z.strictObject({
  table: TableRef,
  customerId: Ident,
  time: TimeColumn,
  type: Ident,
  amount: Ident.optional(),
  channel: Ident.optional(),
  category: Ident.optional(),
});

const TouchesMapping = z.strictObject({
  table: TableRef,
  customerId: Ident,
  time: TimeColumn,
  channel: Ident,
  campaign: Ident,
  variant: Ident.optional(),
  /** Values none, opened, clicked, converted (a view can translate other spellings). */
  outcome: Ident,
});

const ConsentsMapping = z.strictObject({
  table: TableRef,
  customerId: Ident,
  /** Values are the node's purposes (analytics, marketing, model_training, ...). */
  purpose: Ident,
  /** Values granted or revoked. */
  status: Ident,
  time: TimeColumn,
});

const FeatureTableMapping = z.strictObject({
  name: z.string().regex(FEATURE_TABLE_NAME_RE, `expected ${FEATURE_TABLE_NAME_RE.source}`),
  table: TableRef,
  customerId: Ident,
  columns: z
    .array(
      z.strictObject({
        name: z.string().regex(FEATURE_COLUMN_NAME_RE, `expected ${FEATURE_COLUMN_NAME_RE.source}`),
        column: Ident,
        type: CellType,
      })
    )
    .min(1),
});

export const ConnectionSourceSchema = z.union([
  z.strictObject({
    env: z.string().regex(ENV_NAME_RE, 'expected an environment variable name (A-Z, 0-9, _)'),
  }),
  z.strictObject({ file: z.string().min(1, 'expected a file path') }),
]);

export const WarehouseMappingSchema = z
  .strictObject({
    version: z.literal(1),
    connection: ConnectionSourceSchema,
    customers: CustomersMapping,
    events: EventsMapping,
    touches: TouchesMapping.optional(),
    consents: ConsentsMapping,
    tables: z.array(FeatureTableMapping).default([]),
    /** Rows per FETCH from a server-side cursor: the node holds about two batches per stream. */
    batchRows: z.number().int().min(100).max(100_000).default(5000),
    /** How long the node waits for one batch (the first one waits for the whole aggregation). */
    batchTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .max(24 * 3_600_000)
      .default(3_600_000),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.tables.forEach((t, i) => {
      if (seen.has(t.name))
        ctx.addIssue({ code: 'custom', path: ['tables', i, 'name'], message: 'named twice' });
      seen.add(t.name);
    });
  });
export type WarehouseMapping = z.infer<typeof WarehouseMappingSchema>;
export type WarehouseMappingInput = z.input<typeof WarehouseMappingSchema>;

/** Validates a mapping; a bad field is a BAD_REQUEST naming its path and why. */
export function parseWarehouseMapping(json: unknown, label = 'mapping'): WarehouseMapping {
  const r = WarehouseMappingSchema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : '(top level)';
  throw new ProtocolError('BAD_REQUEST', `${label}: ${path}: ${issue?.message ?? 'invalid'}`);
}

/**
 * The connection string the mapping points at. It is returned to the caller only to open the
 * connection: no error message, log line or ledger entry ever contains it. A file must be
 * owner-only (like the node identity), since it usually holds a password.
 */
export function resolveConnectionString(
  source: WarehouseMapping['connection'],
  env: NodeJS.ProcessEnv = process.env
): string {
  if ('env' in source) {
    const v = env[source.env];
    if (v === undefined || v.trim() === '')
      throw new ProtocolError(
        'BAD_REQUEST',
        `connection.env: environment variable ${source.env} is not set (it must hold the PostgreSQL connection string)`
      );
    return v.trim();
  }
  let text: string;
  try {
    const st = statSync(source.file);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      throw new ProtocolError(
        'BAD_REQUEST',
        `connection.file: ${source.file} is readable by group or others (permissions ${(st.mode & 0o777).toString(8)}); it holds a password: chmod 600 it`
      );
    text = readFileSync(source.file, 'utf8');
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(
      'BAD_REQUEST',
      `connection.file: cannot read ${source.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`
    );
  }
  const url = text.trim();
  if (url === '')
    throw new ProtocolError('BAD_REQUEST', `connection.file: ${source.file} is empty`);
  return url;
}
