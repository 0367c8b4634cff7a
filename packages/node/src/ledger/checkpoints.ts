import type Database from 'better-sqlite3';
import {
  CheckpointReceiptSchema,
  CheckpointSignedSchema,
  bytesToHex,
  signCheckpoint,
  type CheckpointReceipt,
  type CheckpointSigned,
} from '@fedmark/protocol';
import { syncLedgerMerkle } from './merkle.ts';
import { padLedgerToBucket } from './padding.ts';
import { schemaOnce } from '../store/_schema-once.ts';

/**
 * Signed checkpoints (tree heads) of the node's ledger and the coordinator's receipts for them
 * (docs/merkle.md "Checkpoints and receipts"). Kept in their own tables beside the ledger; both
 * hold only sizes, hashes, times and signatures.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tree_size INTEGER NOT NULL,
  root_hash TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_checkpoint_receipts (
  checkpoint_id INTEGER NOT NULL PRIMARY KEY REFERENCES ledger_checkpoints(id),
  log_index INTEGER NOT NULL,
  json TEXT NOT NULL
);`;

const ensure = schemaOnce(SCHEMA);

export interface StoredCheckpoint {
  id: number;
  checkpoint: CheckpointSigned;
  receipt: CheckpointReceipt | null;
}

/**
 * Pads the ledger to a multiple of CHECKPOINT_BUCKET, then signs a checkpoint of it (origin =
 * node name) and stores it, all in one transaction (docs/audit.md "Checkpoint padding"): every
 * stored checkpoint, and so every one the agent can send, has a bucket-aligned treeSize. A
 * checkpoint equal in size to the latest one is still a new checkpoint (a fresh timestamp is
 * how the node shows liveness hourly); it adds no padding, since the size is aligned already.
 */
export function createLedgerCheckpoint(
  db: Database.Database,
  identity: { name: string; signing: { secretKey: Uint8Array } },
  at: Date = new Date()
): StoredCheckpoint {
  ensure(db);
  const write = db.transaction((): StoredCheckpoint => {
    padLedgerToBucket(db, at);
    const { size, root } = syncLedgerMerkle(db);
    const checkpoint = signCheckpoint(
      {
        version: 1,
        origin: identity.name,
        treeSize: size,
        rootHash: bytesToHex(root),
        timestamp: at.toISOString(),
      },
      identity.signing.secretKey
    );
    const r = db
      .prepare('INSERT INTO ledger_checkpoints (tree_size, root_hash, json) VALUES (?, ?, ?)')
      .run(size, checkpoint.rootHash, JSON.stringify(checkpoint));
    return { id: Number(r.lastInsertRowid), checkpoint, receipt: null };
  });
  return db.inTransaction ? write() : write.immediate();
}

/**
 * Signs the ledger's current head without storing it or padding (what an auditor fetches live
 * with its own token; the coordinator is only ever sent stored, padded checkpoints).
 */
export function signLedgerHead(
  db: Database.Database,
  identity: { name: string; signing: { secretKey: Uint8Array } },
  at: Date = new Date()
): CheckpointSigned {
  const { size, root } = syncLedgerMerkle(db);
  return signCheckpoint(
    {
      version: 1,
      origin: identity.name,
      treeSize: size,
      rootHash: bytesToHex(root),
      timestamp: at.toISOString(),
    },
    identity.signing.secretKey
  );
}

/** Stores the coordinator's receipt for checkpoint `id` (validated; the caller checks its signature). */
export function saveCheckpointReceipt(
  db: Database.Database,
  id: number,
  receipt: CheckpointReceipt
): void {
  ensure(db);
  const valid = CheckpointReceiptSchema.parse(receipt);
  db.prepare(
    'INSERT OR REPLACE INTO ledger_checkpoint_receipts (checkpoint_id, log_index, json) VALUES (?, ?, ?)'
  ).run(id, valid.logIndex, JSON.stringify(valid));
}

interface Row {
  id: number;
  json: string;
  receipt: string | null;
}

function fromRow(r: Row): StoredCheckpoint {
  // Parsed leniently here: an auditor's verifier, not this reader, decides whether it is valid.
  const cp = CheckpointSignedSchema.safeParse(JSON.parse(r.json));
  const rc = r.receipt === null ? null : CheckpointReceiptSchema.safeParse(JSON.parse(r.receipt));
  return {
    id: r.id,
    checkpoint: cp.success ? cp.data : (JSON.parse(r.json) as CheckpointSigned),
    receipt:
      rc === null
        ? null
        : rc.success
          ? rc.data
          : (JSON.parse(r.receipt as string) as CheckpointReceipt),
  };
}

/** Every stored checkpoint in creation order, with its receipt when the coordinator gave one. */
export function listLedgerCheckpoints(db: Database.Database): StoredCheckpoint[] {
  ensure(db);
  const rows = db
    .prepare(
      `SELECT c.id, c.json, r.json AS receipt FROM ledger_checkpoints c
       LEFT JOIN ledger_checkpoint_receipts r ON r.checkpoint_id = c.id ORDER BY c.id`
    )
    .all() as Row[];
  return rows.map(fromRow);
}

/** The newest checkpoint the coordinator has acknowledged with a receipt, if any. */
export function latestAcceptedCheckpoint(db: Database.Database): StoredCheckpoint | undefined {
  ensure(db);
  const row = db
    .prepare(
      `SELECT c.id, c.json, r.json AS receipt FROM ledger_checkpoints c
       JOIN ledger_checkpoint_receipts r ON r.checkpoint_id = c.id ORDER BY c.id DESC LIMIT 1`
    )
    .get() as Row | undefined;
  return row ? fromRow(row) : undefined;
}

/** The newest stored checkpoint, if any. */
export function latestLedgerCheckpoint(db: Database.Database): StoredCheckpoint | undefined {
  ensure(db);
  const row = db
    .prepare(
      `SELECT c.id, c.json, r.json AS receipt FROM ledger_checkpoints c
       LEFT JOIN ledger_checkpoint_receipts r ON r.checkpoint_id = c.id ORDER BY c.id DESC LIMIT 1`
    )
    .get() as Row | undefined;
  return row ? fromRow(row) : undefined;
}
