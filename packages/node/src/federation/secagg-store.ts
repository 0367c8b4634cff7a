import type Database from 'better-sqlite3';
import type { Canonical, SecaggSecrets } from '@fedmark/protocol';
import { appendLedgerEntry } from '../ledger/index.ts';

/**
 * This node's secure-aggregation state per job round (docs/secure-aggregation.md "Round phases"):
 * - the setup it sent, as the exact JSON text, so a restart re-sends identical bytes (a second,
 *   different setup would be a conflict, and fresh secrets would not match the shares already
 *   relayed);
 * - the round's two secrets (b_u and the mask secret key) until its masked input, or refusal, is
 *   stored, then NULL in the same transaction: after that nothing on this node can unmask its
 *   own contribution, and secure_delete (store/database.ts) zeroes the freed bytes;
 * - the nodes it masked with, set at input time (the unmask sets must name exactly these);
 * - its one unmask answer per round and the hash of the sets it answered. Other sets for the
 *   same round are refused and kept (once each) in `fed_secagg_refused`.
 * Nothing here is ever logged.
 */
export interface StoredSecagg {
  jobId: string;
  round: number;
  keyId: string;
  specHash: string;
  threshold: number;
  participants: string[];
  /** Exact JSON body of the setup sent (and re-sent). */
  setupBody: string;
  /** Present until the round's answer is stored. */
  secrets: SecaggSecrets | null;
  /** Every advertised node this node masked its input with (itself included); null before input. */
  maskedWith: string[] | null;
  unmaskSetsHash: string | null;
  /** Exact JSON body of the unmask answer sent (and re-sent). */
  unmaskBody: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fed_secagg (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  participants TEXT NOT NULL,
  setup_body TEXT NOT NULL,
  self_secret BLOB,
  mask_secret_key BLOB,
  masked_with TEXT,
  unmask_sets_hash TEXT,
  unmask_body TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (job_id, round),
  CHECK ((self_secret IS NULL) = (mask_secret_key IS NULL)),
  CHECK (masked_with IS NULL OR self_secret IS NULL),
  CHECK ((unmask_body IS NULL) = (unmask_sets_hash IS NULL)),
  CHECK (unmask_body IS NULL OR masked_with IS NOT NULL)
);
CREATE TABLE IF NOT EXISTS fed_secagg_refused (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  sets_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (job_id, round, sets_hash)
)`;

const READY = new WeakSet<Database.Database>();

/** A Buffer over the same bytes (no copy left behind for the caller to miss when it zeroes). */
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function ensure(db: Database.Database): void {
  if (READY.has(db)) return;
  db.exec(SCHEMA);
  READY.add(db);
}

interface Row {
  job_id: string;
  round: number;
  key_id: string;
  spec_hash: string;
  threshold: number;
  participants: string;
  setup_body: string;
  self_secret: Buffer | null;
  mask_secret_key: Buffer | null;
  masked_with: string | null;
  unmask_sets_hash: string | null;
  unmask_body: string | null;
}

export function getSecagg(
  db: Database.Database,
  jobId: string,
  round: number
): StoredSecagg | undefined {
  ensure(db);
  const r = db
    .prepare('SELECT * FROM fed_secagg WHERE job_id = ? AND round = ?')
    .get(jobId, round) as Row | undefined;
  if (!r) return undefined;
  const secrets =
    r.self_secret && r.mask_secret_key
      ? {
          selfSecret: new Uint8Array(r.self_secret),
          maskSecretKey: new Uint8Array(r.mask_secret_key),
        }
      : null;
  // The copies above are the caller's to zero; the driver's buffers are zeroed here.
  r.self_secret?.fill(0);
  r.mask_secret_key?.fill(0);
  return {
    jobId: r.job_id,
    round: r.round,
    keyId: r.key_id,
    specHash: r.spec_hash,
    threshold: r.threshold,
    participants: JSON.parse(r.participants) as string[],
    setupBody: r.setup_body,
    secrets,
    maskedWith: r.masked_with === null ? null : (JSON.parse(r.masked_with) as string[]),
    unmaskSetsHash: r.unmask_sets_hash,
    unmaskBody: r.unmask_body,
  };
}

/**
 * Stores a new setup with its secrets and its `secagg_setup` ledger entry, in one transaction.
 * An existing setup for the job round wins: the returned body is the stored one (what was, or
 * will be, sent).
 */
export function putSecaggSetup(
  db: Database.Database,
  s: Omit<StoredSecagg, 'maskedWith' | 'unmaskSetsHash' | 'unmaskBody' | 'secrets'> & {
    secrets: SecaggSecrets;
  }
): string {
  ensure(db);
  db.transaction(() => {
    const inserted = db
      .prepare(
        `INSERT INTO fed_secagg (job_id, round, key_id, spec_hash, threshold, participants, setup_body, self_secret, mask_secret_key, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, round) DO NOTHING`
      )
      .run(
        s.jobId,
        s.round,
        s.keyId,
        s.specHash,
        s.threshold,
        JSON.stringify(s.participants),
        s.setupBody,
        view(s.secrets.selfSecret),
        view(s.secrets.maskSecretKey),
        new Date().toISOString()
      );
    if (inserted.changes === 0) return;
    appendLedgerEntry(db, {
      type: 'secagg_setup',
      body: {
        jobId: s.jobId,
        round: s.round,
        participants: [...s.participants],
        threshold: s.threshold,
      },
    });
  }).immediate();
  return db
    .prepare('SELECT setup_body FROM fed_secagg WHERE job_id = ? AND round = ?')
    .pluck()
    .get(s.jobId, s.round) as string;
}

/**
 * Erases the round's secrets (call in the transaction that stores the round's answer) and, for a
 * masked submission, records the nodes it masked with. A no-op for a round without a setup.
 */
export function closeSecaggInput(
  db: Database.Database,
  jobId: string,
  round: number,
  maskedWith: readonly string[] | null
): void {
  ensure(db);
  db.prepare(
    'UPDATE fed_secagg SET self_secret = NULL, mask_secret_key = NULL, masked_with = COALESCE(masked_with, ?) WHERE job_id = ? AND round = ?'
  ).run(maskedWith === null ? null : JSON.stringify([...maskedWith].sort()), jobId, round);
}

/**
 * Records this node's one unmask answer of the round and its `secagg_unmask` ledger entry in one
 * transaction. Returns false (nothing written) when an answer is already stored.
 */
export function putSecaggUnmask(
  db: Database.Database,
  u: {
    jobId: string;
    round: number;
    setsHash: string;
    survivors: readonly string[];
    dropped: readonly string[];
    body: string;
  }
): boolean {
  ensure(db);
  return db
    .transaction(() => {
      const updated = db
        .prepare(
          'UPDATE fed_secagg SET unmask_sets_hash = ?, unmask_body = ? WHERE job_id = ? AND round = ? AND unmask_body IS NULL AND masked_with IS NOT NULL'
        )
        .run(u.setsHash, u.body, u.jobId, u.round);
      if (updated.changes === 0) return false;
      appendLedgerEntry(db, {
        type: 'secagg_unmask',
        body: {
          jobId: u.jobId,
          round: u.round,
          setsHash: u.setsHash,
          survivors: [...u.survivors].sort(),
          dropped: [...u.dropped].sort(),
        },
      });
      return true;
    })
    .immediate();
}

/** Records a refused request for other sets once (row and `secagg_unmask_refused` entry). */
export function recordRefusedSets(
  db: Database.Database,
  refused: {
    jobId: string;
    round: number;
    setsHash: string;
    survivors: readonly string[];
    dropped: readonly string[];
  },
  answeredSetsHash: string
): void {
  ensure(db);
  db.transaction(() => {
    const inserted = db
      .prepare(
        'INSERT INTO fed_secagg_refused (job_id, round, sets_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'
      )
      .run(refused.jobId, refused.round, refused.setsHash, new Date().toISOString());
    if (inserted.changes === 0) return;
    const body: Record<string, Canonical> = {
      jobId: refused.jobId,
      round: refused.round,
      setsHash: refused.setsHash,
      survivors: [...refused.survivors].sort(),
      dropped: [...refused.dropped].sort(),
      answeredSetsHash,
    };
    appendLedgerEntry(db, { type: 'secagg_unmask_refused', body });
  }).immediate();
}
