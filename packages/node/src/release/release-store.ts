import type Database from 'better-sqlite3';
import type { Purpose } from '@fedmark/protocol';
import { ensurePrivacySchema } from '../privacy/schema.ts';
import type { NoiseMode } from '../policy/index.ts';

/** A statistic as it left (or may leave) the node: noisy values and their public metadata. */
export interface StoredRelease {
  jobId: string;
  round: number;
  purpose: Purpose;
  layoutHash: string;
  values: bigint[];
  variance: number[];
  epsilonMicro: number;
  suppressedCells: number;
  rows: number;
  noise: NoiseMode;
  createdAt: string;
  ledgerSeq: number;
}

interface ReleaseRow {
  job_id: string;
  round: number;
  purpose: string;
  layout_hash: string;
  values_json: string;
  variance_json: string;
  epsilon_micro: number;
  suppressed_cells: number;
  rows: number;
  noise: string;
  created_at: string;
  ledger_seq: number;
}

function fromRow(r: ReleaseRow): StoredRelease {
  return {
    jobId: r.job_id,
    round: r.round,
    purpose: r.purpose as Purpose,
    layoutHash: r.layout_hash,
    values: (JSON.parse(r.values_json) as string[]).map((v) => BigInt(v)),
    variance: JSON.parse(r.variance_json) as number[],
    epsilonMicro: r.epsilon_micro,
    suppressedCells: r.suppressed_cells,
    rows: r.rows,
    noise: r.noise as NoiseMode,
    createdAt: r.created_at,
    ledgerSeq: r.ledger_seq,
  };
}

/** The release recorded for a job round, if any. */
export function findRelease(
  db: Database.Database,
  jobId: string,
  round: number
): StoredRelease | null {
  ensurePrivacySchema(db);
  const row = db
    .prepare('SELECT * FROM privacy_releases WHERE job_id = ? AND round = ?')
    .get(jobId, round) as ReleaseRow | undefined;
  return row ? fromRow(row) : null;
}

/** Releases, newest first (for the local API and auditors' tooling). */
export function listReleases(
  db: Database.Database,
  opts: { limit?: number } = {}
): StoredRelease[] {
  ensurePrivacySchema(db);
  const rows = db
    .prepare('SELECT * FROM privacy_releases ORDER BY created_at DESC, job_id, round LIMIT ?')
    .all(opts.limit ?? 100) as ReleaseRow[];
  return rows.map(fromRow);
}

/** Stores a release; values as decimal strings (bigints do not survive JSON). */
export function insertRelease(db: Database.Database, r: StoredRelease): void {
  ensurePrivacySchema(db);
  db.prepare(
    `INSERT INTO privacy_releases (job_id, round, purpose, layout_hash, values_json, variance_json, epsilon_micro,
       suppressed_cells, rows, noise, created_at, ledger_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(
    r.jobId,
    r.round,
    r.purpose,
    r.layoutHash,
    JSON.stringify(r.values.map(String)),
    JSON.stringify(r.variance),
    r.epsilonMicro,
    r.suppressedCells,
    r.rows,
    r.noise,
    r.createdAt,
    r.ledgerSeq
  );
}
