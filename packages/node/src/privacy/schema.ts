import type Database from 'better-sqlite3';

/**
 * The privacy layer's own tables in the node database. Budget charges and releases are
 * append-only (triggers refuse UPDATE and DELETE): a charge that could be edited would let the
 * budget be silently refilled. Every amount is an integer in micro-epsilon, so composition is
 * exact (no float sums: docs/privacy.md "Budgets"). Neither table holds personal data.
 */
const PRIVACY_SCHEMA = `
CREATE TABLE IF NOT EXISTS privacy_budget_charges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  purpose TEXT NOT NULL,
  -- JSON {period: key} of the purpose's budget rules when charged, for auditors.
  period_keys TEXT NOT NULL,
  epsilon_micro INTEGER NOT NULL CHECK (epsilon_micro > 0),
  -- How the release was noised; a Gaussian release is paid in rho_pico (rho x 10^12), a
  -- Laplace one (local or distributed) in epsilon_micro (docs/privacy.md "Accounting in rho and epsilon").
  mechanism TEXT NOT NULL DEFAULT 'local-laplace' CHECK (mechanism IN ('local-laplace', 'distributed-laplace', 'distributed-gaussian')),
  rho_pico INTEGER NOT NULL DEFAULT 0 CHECK (rho_pico >= 0),
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  at TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  ledger_seq INTEGER NOT NULL,
  UNIQUE (job_id, round)
);
CREATE INDEX IF NOT EXISTS privacy_budget_charges_purpose_at ON privacy_budget_charges (purpose, at_ms);
CREATE TABLE IF NOT EXISTS privacy_budget_resets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  purpose TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL,
  -- Charges with id <= watermark no longer count against this purpose.
  charge_watermark INTEGER NOT NULL,
  ledger_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS privacy_releases (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  layout_hash TEXT NOT NULL,
  values_json TEXT NOT NULL,
  variance_json TEXT NOT NULL,
  epsilon_micro INTEGER NOT NULL,
  suppressed_cells INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  noise TEXT NOT NULL,
  created_at TEXT NOT NULL,
  ledger_seq INTEGER NOT NULL,
  PRIMARY KEY (job_id, round)
);
`;

const APPEND_ONLY = ['privacy_budget_charges', 'privacy_budget_resets', 'privacy_releases'];

/** Databases made before rho accounting: their charges were all pure (local Laplace). */
function addChargeColumns(db: Database.Database): void {
  const cols = (
    db.prepare('PRAGMA table_info(privacy_budget_charges)').all() as { name: string }[]
  ).map((c) => c.name);
  if (!cols.includes('mechanism'))
    db.exec(
      "ALTER TABLE privacy_budget_charges ADD COLUMN mechanism TEXT NOT NULL DEFAULT 'local-laplace'"
    );
  if (!cols.includes('rho_pico'))
    db.exec('ALTER TABLE privacy_budget_charges ADD COLUMN rho_pico INTEGER NOT NULL DEFAULT 0');
}

const ready = new WeakSet<Database.Database>();

/** Creates the privacy tables if missing; idempotent and cheap after the first call per handle. */
export function ensurePrivacySchema(db: Database.Database): void {
  if (ready.has(db)) return;
  db.exec(PRIVACY_SCHEMA);
  addChargeColumns(db);
  for (const t of APPEND_ONLY) {
    for (const op of ['UPDATE', 'DELETE']) {
      db.exec(
        `CREATE TRIGGER IF NOT EXISTS ${t}_no_${op.toLowerCase()} BEFORE ${op} ON ${t} ` +
          `BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END;`
      );
    }
  }
  // DDL inside a caller's transaction is rolled back with it: only remember committed schemas.
  if (!db.inTransaction) ready.add(db);
}
