import type Database from 'better-sqlite3';
import { appendLedgerEntry } from '../ledger/index.ts';
import { schemaOnce } from '../store/_schema-once.ts';

/**
 * What this node decrypted, per job round (docs/federation-protocol.md "Decrypt once"): at most
 * one contributor set per (job, round), with the signed answer so the same set asked again is
 * answered with the same bytes and no second decryption. Refused other sets are kept too, so a
 * repeated request is ledgered once.
 */
export interface StoredDecryption {
  jobId: string;
  round: number;
  setHash: string;
  contributors: string[];
  /** Exact JSON body posted (and re-posted). */
  body: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fed_decryptions (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  set_hash TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('decrypted', 'refused')),
  contributors TEXT NOT NULL,
  body TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (job_id, round, set_hash)
);
CREATE UNIQUE INDEX IF NOT EXISTS fed_decryptions_once
  ON fed_decryptions (job_id, round) WHERE outcome = 'decrypted'`;

const ensure = schemaOnce(SCHEMA);

interface Row {
  job_id: string;
  round: number;
  set_hash: string;
  contributors: string;
  body: string;
}

export function getDecryption(
  db: Database.Database,
  jobId: string,
  round: number
): StoredDecryption | undefined {
  ensure(db);
  const r = db
    .prepare(
      "SELECT * FROM fed_decryptions WHERE job_id = ? AND round = ? AND outcome = 'decrypted'"
    )
    .get(jobId, round) as Row | undefined;
  if (!r) return undefined;
  return {
    jobId: r.job_id,
    round: r.round,
    setHash: r.set_hash,
    contributors: JSON.parse(r.contributors) as string[],
    body: r.body,
  };
}

/** Records the decryption and its `decryption` ledger entry in one transaction. */
export function putDecryption(db: Database.Database, d: StoredDecryption): void {
  ensure(db);
  db.transaction(() => {
    db.prepare(
      "INSERT INTO fed_decryptions (job_id, round, set_hash, outcome, contributors, body, created_at) VALUES (?, ?, ?, 'decrypted', ?, ?, ?)"
    ).run(
      d.jobId,
      d.round,
      d.setHash,
      JSON.stringify(d.contributors),
      d.body,
      new Date().toISOString()
    );
    appendLedgerEntry(db, {
      type: 'decryption',
      body: { jobId: d.jobId, round: d.round, setHash: d.setHash, contributors: d.contributors },
    });
  })();
}

/** Records a refused other set once (row and `decryption_refused` ledger entry). */
export function recordRefusedSet(
  db: Database.Database,
  refused: Omit<StoredDecryption, 'body'>,
  decryptedSetHash: string
): void {
  ensure(db);
  db.transaction(() => {
    const inserted = db
      .prepare(
        "INSERT INTO fed_decryptions (job_id, round, set_hash, outcome, contributors, created_at) VALUES (?, ?, ?, 'refused', ?, ?) ON CONFLICT DO NOTHING"
      )
      .run(
        refused.jobId,
        refused.round,
        refused.setHash,
        JSON.stringify(refused.contributors),
        new Date().toISOString()
      );
    if (inserted.changes === 0) return;
    appendLedgerEntry(db, {
      type: 'decryption_refused',
      body: {
        jobId: refused.jobId,
        round: refused.round,
        setHash: refused.setHash,
        contributors: refused.contributors,
        decryptedSetHash,
      },
    });
  })();
}
