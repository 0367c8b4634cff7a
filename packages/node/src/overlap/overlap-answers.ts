import type Database from 'better-sqlite3';

/**
 * What this node answered for each overlap pair step, stored in the transaction that charged the
 * budget (docs/overlap.md "Crashes"): after a crash the agent re-sends the stored answer byte for
 * byte instead of recomputing it, so a step is never paid twice and the noise is never redrawn.
 */
function ensureSchema(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS overlap_answers (
  job_id TEXT NOT NULL,
  pair INTEGER NOT NULL,
  step TEXT NOT NULL,
  path TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (job_id, pair, step)
) WITHOUT ROWID`);
}

export interface OverlapAnswer {
  path: string;
  body: unknown;
}

export function getOverlapAnswer(
  db: Database.Database,
  jobId: string,
  pair: number,
  step: string
): OverlapAnswer | null {
  ensureSchema(db);
  const row = db
    .prepare('SELECT path, body FROM overlap_answers WHERE job_id = ? AND pair = ? AND step = ?')
    .get(jobId, pair, step) as { path: string; body: string } | undefined;
  return row ? { path: row.path, body: JSON.parse(row.body) as unknown } : null;
}

/** MUST run inside the transaction that records the release the answer carries. */
export function putOverlapAnswer(
  db: Database.Database,
  jobId: string,
  pair: number,
  step: string,
  answer: OverlapAnswer
): void {
  ensureSchema(db);
  db.prepare(
    'INSERT INTO overlap_answers (job_id, pair, step, path, body) VALUES (?, ?, ?, ?, ?)'
  ).run(jobId, pair, step, answer.path, JSON.stringify(answer.body));
}
