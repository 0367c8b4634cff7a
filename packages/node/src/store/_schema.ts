/**
 * Internal: the node's own tables. Each migration runs once (tracked in `node_migrations`) and
 * every statement is idempotent anyway, so a crash between a migration and its bookkeeping row
 * is harmless.
 *
 * Layout decisions:
 * - events/touches/consents are WITHOUT ROWID tables clustered on their natural key, which starts
 *   with the customer's rowid: a per-customer scan (what every analytic does) is one sequential
 *   b-tree range, and the natural key doubles as the idempotency key for re-imports.
 * - Nullable text that is part of a natural key (channel, category, variant) is stored as '' so
 *   the key is NOT NULL (SQLite treats NULLs in unique keys as distinct, which would break
 *   idempotency); readers map '' back to null.
 * - `occurrence` numbers identical-key rows within one file (two purchases on the same day, same
 *   channel and category), `seen_in` marks which import last claimed a row, so re-importing a file
 *   with repeated rows neither duplicates nor collapses them (see importing/_occurrence.ts).
 * - Times are integer milliseconds since the epoch (UTC); days are integer days since 1970-01-01.
 */
import { CUSTOMER_ACTIVITY_MIGRATION_SQL } from './customer-activity.ts';

export interface Migration {
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: '001-core',
    sql: `
CREATE TABLE IF NOT EXISTS customers (
  id INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL UNIQUE,
  signup_day INTEGER,
  attributes TEXT,
  seen_in INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS customer_attribute_columns (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL CHECK (type IN ('integer', 'real', 'text'))
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  customer INTEGER NOT NULL REFERENCES customers(id),
  time INTEGER NOT NULL,
  type TEXT NOT NULL,
  channel TEXT NOT NULL,
  category TEXT NOT NULL,
  occurrence INTEGER NOT NULL,
  amount REAL,
  seen_in INTEGER NOT NULL,
  PRIMARY KEY (customer, time, type, channel, category, occurrence)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS touches (
  customer INTEGER NOT NULL REFERENCES customers(id),
  time INTEGER NOT NULL,
  channel TEXT NOT NULL,
  campaign TEXT NOT NULL,
  variant TEXT NOT NULL,
  occurrence INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('none', 'opened', 'clicked', 'converted')),
  seen_in INTEGER NOT NULL,
  PRIMARY KEY (customer, time, channel, campaign, variant, occurrence)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS consents (
  customer INTEGER NOT NULL REFERENCES customers(id),
  purpose TEXT NOT NULL,
  time INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('granted', 'revoked')),
  source TEXT NOT NULL,
  PRIMARY KEY (customer, purpose, time, status, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feature_tables (
  name TEXT PRIMARY KEY,
  id_column TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feature_columns (
  table_name TEXT NOT NULL REFERENCES feature_tables(name),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('integer', 'real', 'text')),
  PRIMARY KEY (table_name, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS erased_customers (
  pseudonym TEXT PRIMARY KEY,
  at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  subject TEXT,
  body TEXT NOT NULL,
  commitment TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_by_subject ON ledger(subject) WHERE subject IS NOT NULL;
CREATE INDEX IF NOT EXISTS ledger_by_type ON ledger(type, seq);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: DELETE refused'); END;
CREATE TABLE IF NOT EXISTS ledger_private (
  seq INTEGER PRIMARY KEY,
  subject TEXT,
  salt BLOB NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_private_by_subject ON ledger_private(subject) WHERE subject IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS ledger_private_no_update BEFORE UPDATE ON ledger_private
BEGIN SELECT RAISE(ABORT, 'ledger_private rows are never rewritten, only erased'); END;
`,
  },
  {
    // Per-customer aggregates that segmentation reads instead of every event (customer-activity.ts).
    name: '002-customer-activity',
    sql: CUSTOMER_ACTIVITY_MIGRATION_SQL,
  },
];
