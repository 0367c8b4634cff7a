import type Database from 'better-sqlite3';
import { schemaOnce } from '../store/_schema-once.ts';

/**
 * What this node answered per job round, kept so a restart re-sends the very same bytes
 * (the coordinator treats an identical re-send as idempotent and a different one as a conflict;
 * the budget is charged once per job+round by the release path). Also remembers the round's
 * layout length and minNodes, which a later decrypt task is checked against.
 */
export type AnswerKind = 'submission' | 'refusal';
export type AnswerStatus = 'pending' | 'accepted' | 'rejected';

export interface StoredAnswer {
  jobId: string;
  round: number;
  kind: AnswerKind;
  path: string;
  /** Exact JSON text sent (and re-sent). */
  body: string;
  keyId: string | null;
  layoutHash: string | null;
  layoutLength: number | null;
  minNodes: number | null;
  ciphertextHashes: string[];
  status: AnswerStatus;
  reason: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fed_submissions (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('submission', 'refusal')),
  path TEXT NOT NULL,
  body TEXT NOT NULL,
  key_id TEXT,
  layout_hash TEXT,
  layout_length INTEGER,
  min_nodes INTEGER,
  ciphertext_hashes TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
  reason TEXT,
  receipt TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (job_id, round)
)`;

const ensure = schemaOnce(SCHEMA);

interface Row {
  job_id: string;
  round: number;
  kind: AnswerKind;
  path: string;
  body: string;
  key_id: string | null;
  layout_hash: string | null;
  layout_length: number | null;
  min_nodes: number | null;
  ciphertext_hashes: string;
  status: AnswerStatus;
  reason: string | null;
}

export function getAnswer(
  db: Database.Database,
  jobId: string,
  round: number
): StoredAnswer | undefined {
  ensure(db);
  const r = db
    .prepare('SELECT * FROM fed_submissions WHERE job_id = ? AND round = ?')
    .get(jobId, round) as Row | undefined;
  if (!r) return undefined;
  return {
    jobId: r.job_id,
    round: r.round,
    kind: r.kind,
    path: r.path,
    body: r.body,
    keyId: r.key_id,
    layoutHash: r.layout_hash,
    layoutLength: r.layout_length,
    minNodes: r.min_nodes,
    ciphertextHashes: JSON.parse(r.ciphertext_hashes) as string[],
    status: r.status,
    reason: r.reason,
  };
}

/** Stores an answer before it is sent; an existing answer for the job round wins (returned). */
export function putAnswer(
  db: Database.Database,
  a: Omit<StoredAnswer, 'status' | 'reason'>
): StoredAnswer {
  ensure(db);
  db.prepare(
    `INSERT INTO fed_submissions (job_id, round, kind, path, body, key_id, layout_hash, layout_length, min_nodes, ciphertext_hashes, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, round) DO NOTHING`
  ).run(
    a.jobId,
    a.round,
    a.kind,
    a.path,
    a.body,
    a.keyId,
    a.layoutHash,
    a.layoutLength,
    a.minNodes,
    JSON.stringify(a.ciphertextHashes),
    new Date().toISOString()
  );
  return getAnswer(db, a.jobId, a.round) as StoredAnswer;
}

export function markAnswer(
  db: Database.Database,
  jobId: string,
  round: number,
  status: AnswerStatus,
  detail: { reason?: string; receipt?: unknown } = {}
): void {
  ensure(db);
  db.prepare(
    'UPDATE fed_submissions SET status = ?, reason = ?, receipt = ? WHERE job_id = ? AND round = ?'
  ).run(
    status,
    detail.reason ?? null,
    detail.receipt === undefined ? null : JSON.stringify(detail.receipt),
    jobId,
    round
  );
}
