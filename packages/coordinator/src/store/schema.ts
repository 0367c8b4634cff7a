/**
 * Coordinator state. Every table the rounds engine writes is changed only inside a
 * transaction that also appends to `events`, so the event log and the state never disagree.
 * Ciphertexts are stored as raw bytes (BLOB), one row per ciphertext.
 */
export const SCHEMA_VERSION = 6;

/** Overlap jobs (docs/overlap.md): their own tables, since they run no rounds. */
const OVERLAP_TABLES_SQL = `CREATE TABLE IF NOT EXISTS overlap_jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  spec TEXT NOT NULL,
  key_id TEXT NOT NULL,
  participants TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  deadline_at INTEGER NOT NULL,
  failure TEXT
);
CREATE TABLE IF NOT EXISTS overlap_pairs (
  job_id TEXT NOT NULL REFERENCES overlap_jobs(id),
  pair INTEGER NOT NULL,
  initiator TEXT NOT NULL,
  responder TEXT NOT NULL,
  request TEXT,
  reply TEXT,
  release TEXT,
  refusal TEXT,
  PRIMARY KEY (job_id, pair)
);`;

/**
 * SQL that takes an existing database from version `v - 1` to `v`, keyed by `v`. A new database
 * gets `SCHEMA_SQL` alone; an older one runs each step it lacks, then `SCHEMA_SQL` (whose
 * `IF NOT EXISTS` tables are then only the ones added since).
 */
export const MIGRATIONS: Readonly<Record<number, string>> = {
  // Bound round specs (docs/federation-protocol.md): the spec hash each submission signed.
  // Submissions stored before it have none (''): they were signed without one, so a round open
  // across the upgrade cannot be decrypted by nodes that check spec hashes.
  2: `ALTER TABLE submissions ADD COLUMN spec_hash TEXT NOT NULL DEFAULT ''`,
  // Secure aggregation (docs/secure-aggregation.md): a round's phase state; its setups and unmask
  // answers get their own tables (created by SCHEMA_SQL). A round open across the upgrade has no
  // setups, so nodes refuse its masked-input task and it fails at its deadline.
  3: `ALTER TABLE rounds ADD COLUMN secagg TEXT`,
  // Job preflight (docs/federation-protocol.md): each node's latest signed policy summary.
  4: `CREATE TABLE IF NOT EXISTS node_policies (
  node TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL
);`,
  // Overlap jobs (docs/overlap.md).
  5: OVERLAP_TABLES_SQL,
  // Key bundle version 2 (docs/federation-protocol.md "Key ceremony"): the secret key encrypted
  // once, and `sealed` holds only each member's sealed data key. A version 1 bundle (the whole
  // secret key boxed to each member) is not served any more: an epoch still installing goes
  // back to generating and every member installs again (the generator re-seals the key it
  // stored; a member already holding it keeps it, and one handed a different key refuses it,
  // packages/node/src/crypto/he-keys.ts). Finished epochs drop their version 1 boxes.
  6: `ALTER TABLE key_epochs ADD COLUMN encrypted_secret_key BLOB;
DELETE FROM key_acks WHERE seq IN (SELECT seq FROM key_epochs WHERE state = 'installing');
UPDATE key_epochs SET state = 'generating', public_key = NULL, public_key_hash = NULL,
  bundle_signature = NULL WHERE state = 'installing';
UPDATE key_epochs SET sealed = NULL;`,
};

export const SCHEMA_SQL = `
${OVERLAP_TABLES_SQL}
CREATE TABLE IF NOT EXISTS nodes (
  name TEXT PRIMARY KEY,
  signing_key TEXT NOT NULL UNIQUE,
  box_key TEXT NOT NULL,
  admitted_at TEXT NOT NULL,
  removed_at TEXT,
  last_seen_at TEXT
);
CREATE TABLE IF NOT EXISTS enrollment_tokens (
  token_hash TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at TEXT
);
CREATE TABLE IF NOT EXISTS nonces (
  node TEXT NOT NULL,
  nonce TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (node, nonce)
);
CREATE INDEX IF NOT EXISTS nonces_seen ON nonces (seen_at);
CREATE TABLE IF NOT EXISTS key_epochs (
  seq INTEGER PRIMARY KEY,
  he_params TEXT NOT NULL,
  state TEXT NOT NULL,
  members TEXT NOT NULL,
  generator TEXT NOT NULL,
  public_key BLOB,
  public_key_hash TEXT,
  sealed TEXT,
  encrypted_secret_key BLOB,
  bundle_signature TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS key_acks (
  seq INTEGER NOT NULL REFERENCES key_epochs(seq),
  node TEXT NOT NULL,
  signature TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (seq, node)
);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  spec TEXT NOT NULL,
  key_id TEXT NOT NULL,
  participants TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  failure_code TEXT,
  failure_message TEXT,
  rfm_means TEXT
);
CREATE TABLE IF NOT EXISTS rounds (
  job_id TEXT NOT NULL REFERENCES jobs(id),
  round INTEGER NOT NULL,
  query TEXT NOT NULL,
  layout_hash TEXT NOT NULL,
  layout_length INTEGER NOT NULL,
  status TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  deadline_at INTEGER NOT NULL,
  quorum_at INTEGER,
  closed_at INTEGER,
  close_reason TEXT,
  contributors TEXT,
  decryptors TEXT,
  aggregate TEXT,
  result TEXT,
  secagg TEXT,
  PRIMARY KEY (job_id, round)
);
CREATE TABLE IF NOT EXISTS secagg_setups (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  node TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (job_id, round, node),
  FOREIGN KEY (job_id, round) REFERENCES rounds(job_id, round)
);
CREATE TABLE IF NOT EXISTS secagg_unmasks (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  node TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (job_id, round, node),
  FOREIGN KEY (job_id, round) REFERENCES rounds(job_id, round)
);
CREATE TABLE IF NOT EXISTS submissions (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  node TEXT NOT NULL,
  key_id TEXT NOT NULL,
  layout_hash TEXT NOT NULL,
  spec_hash TEXT NOT NULL DEFAULT '',
  ciphertext_hashes TEXT NOT NULL,
  enforced TEXT NOT NULL,
  signature TEXT NOT NULL,
  received_at TEXT NOT NULL,
  receipt TEXT NOT NULL,
  PRIMARY KEY (job_id, round, node),
  FOREIGN KEY (job_id, round) REFERENCES rounds(job_id, round)
);
CREATE TABLE IF NOT EXISTS submission_ciphertexts (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  node TEXT NOT NULL,
  idx INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (job_id, round, node, idx),
  FOREIGN KEY (job_id, round, node) REFERENCES submissions(job_id, round, node)
);
CREATE TABLE IF NOT EXISTS refusals (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  node TEXT NOT NULL,
  reason TEXT NOT NULL,
  signature TEXT NOT NULL,
  receipt TEXT NOT NULL,
  PRIMARY KEY (job_id, round, node),
  FOREIGN KEY (job_id, round) REFERENCES rounds(job_id, round)
);
CREATE TABLE IF NOT EXISTS decryptions (
  job_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  node TEXT NOT NULL,
  "values" TEXT NOT NULL,
  signature TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (job_id, round, node),
  FOREIGN KEY (job_id, round) REFERENCES rounds(job_id, round)
);
CREATE TABLE IF NOT EXISTS node_policies (
  node TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  round INTEGER,
  node TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
`;
