import type Database from 'better-sqlite3';
import {
  MerkleTreeBuilder,
  bytesToHex,
  type CheckpointReceipt,
  type CheckpointSigned,
  type CheckpointRefusal,
  type LoggedCheckpoint,
} from '@fedmark/protocol';

/**
 * The coordinator's transparency log (docs/audit.md): an append-only RFC 6962 Merkle log whose
 * leaves are checkpointLeafHash(signed node checkpoint), stored in its own SQLite tables
 * (created idempotently, UPDATE/DELETE refused by triggers) plus the refusals it recorded. The
 * tree itself lives in memory (MerkleTreeBuilder, about 64 bytes per leaf), rebuilt from the
 * leaf table when the log is opened.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS transparency_leaves (
  idx INTEGER PRIMARY KEY,
  leaf BLOB NOT NULL,
  node TEXT NOT NULL,
  checkpoint_json TEXT NOT NULL,
  receipt_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transparency_leaves_by_node ON transparency_leaves (node, idx);
CREATE TRIGGER IF NOT EXISTS transparency_leaves_no_update BEFORE UPDATE ON transparency_leaves
BEGIN SELECT RAISE(ABORT, 'transparency log is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS transparency_leaves_no_delete BEFORE DELETE ON transparency_leaves
BEGIN SELECT RAISE(ABORT, 'transparency log is append-only: DELETE refused'); END;
CREATE TABLE IF NOT EXISTS transparency_refusals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node TEXT NOT NULL,
  at TEXT NOT NULL,
  reason TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  root_hash TEXT NOT NULL,
  previous_tree_size INTEGER NOT NULL,
  previous_root_hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS transparency_refusals_no_delete BEFORE DELETE ON transparency_refusals
BEGIN SELECT RAISE(ABORT, 'transparency refusals are append-only: DELETE refused'); END;`;

export interface TransparencyLog {
  readonly tree: MerkleTreeBuilder;
  /** Runs `fn` in one write transaction of the log's own database. */
  transaction<T>(fn: () => T): T;
  /** Appends a leaf with its checkpoint; `makeReceipt` signs the receipt for the new index. */
  append(
    node: string,
    leaf: Uint8Array,
    cp: CheckpointSigned,
    makeReceipt: (logIndex: number) => CheckpointReceipt
  ): LoggedCheckpoint;
  latestFor(node: string): LoggedCheckpoint | undefined;
  /** An already-logged identical checkpoint (idempotent retry), if any. */
  findLeaf(node: string, leaf: Uint8Array): LoggedCheckpoint | undefined;
  listFor(node: string): LoggedCheckpoint[];
  recordRefusal(r: CheckpointRefusal): void;
  refusals(node?: string): CheckpointRefusal[];
}

interface LeafRow {
  idx: number;
  node: string;
  checkpoint_json: string;
  receipt_json: string;
}

const toLogged = (r: LeafRow): LoggedCheckpoint => ({
  logIndex: r.idx,
  node: r.node,
  checkpoint: JSON.parse(r.checkpoint_json) as CheckpointSigned,
  receipt: JSON.parse(r.receipt_json) as CheckpointReceipt,
});

const LOGS = new WeakMap<Database.Database, TransparencyLog>();

/** Opens (once per connection) the log kept in `db`; creates its tables if needed. */
export function openTransparencyLog(db: Database.Database): TransparencyLog {
  const known = LOGS.get(db);
  if (known) return known;
  db.exec(SCHEMA);
  const tree = new MerkleTreeBuilder();
  for (const row of db
    .prepare('SELECT idx, leaf FROM transparency_leaves ORDER BY idx')
    .iterate() as IterableIterator<{ idx: number; leaf: Buffer }>) {
    if (row.idx !== tree.size)
      throw new Error(`transparency log: leaf ${tree.size} is missing from the database`);
    tree.append(new Uint8Array(row.leaf));
  }
  const q = {
    insert: db.prepare(
      'INSERT INTO transparency_leaves (idx, leaf, node, checkpoint_json, receipt_json) VALUES (?, ?, ?, ?, ?)'
    ),
    latest: db.prepare<[string], LeafRow>(
      'SELECT * FROM transparency_leaves WHERE node = ? ORDER BY idx DESC LIMIT 1'
    ),
    byLeaf: db.prepare<[string, Buffer], LeafRow>(
      'SELECT * FROM transparency_leaves WHERE node = ? AND leaf = ? LIMIT 1'
    ),
    list: db.prepare<[string], LeafRow>(
      'SELECT * FROM transparency_leaves WHERE node = ? ORDER BY idx'
    ),
    refuse: db.prepare(
      'INSERT INTO transparency_refusals (node, at, reason, tree_size, root_hash, previous_tree_size, previous_root_hash) VALUES (?, ?, ?, ?, ?, ?, ?)'
    ),
    refusalsAll: db.prepare('SELECT * FROM transparency_refusals ORDER BY id'),
    refusalsFor: db.prepare('SELECT * FROM transparency_refusals WHERE node = ? ORDER BY id'),
  };
  const log: TransparencyLog = {
    tree,
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    append(node, leaf, cp, makeReceipt) {
      const logIndex = tree.size;
      const receipt = makeReceipt(logIndex);
      // The row is durable before the in-memory tree moves: a failed insert leaves both unchanged.
      q.insert.run(logIndex, Buffer.from(leaf), node, JSON.stringify(cp), JSON.stringify(receipt));
      tree.append(leaf);
      return { logIndex, node, checkpoint: cp, receipt };
    },
    latestFor: (node) => {
      const r = q.latest.get(node);
      return r ? toLogged(r) : undefined;
    },
    findLeaf: (node, leaf) => {
      const r = q.byLeaf.get(node, Buffer.from(leaf));
      return r ? toLogged(r) : undefined;
    },
    listFor: (node) => q.list.all(node).map(toLogged),
    recordRefusal: (r) =>
      void q.refuse.run(
        r.node,
        r.at,
        r.reason,
        r.treeSize,
        r.rootHash,
        r.previousTreeSize,
        r.previousRootHash
      ),
    refusals: (node) => {
      const rows = (node === undefined ? q.refusalsAll.all() : q.refusalsFor.all(node)) as {
        node: string;
        at: string;
        reason: string;
        tree_size: number;
        root_hash: string;
        previous_tree_size: number;
        previous_root_hash: string;
      }[];
      return rows.map((r) => ({
        node: r.node,
        at: r.at,
        reason: r.reason,
        treeSize: r.tree_size,
        rootHash: r.root_hash,
        previousTreeSize: r.previous_tree_size,
        previousRootHash: r.previous_root_hash,
      }));
    },
  };
  LOGS.set(db, log);
  return log;
}

/** Hex root of the log at `size`. */
export function logRootHex(log: TransparencyLog, size = log.tree.size): string {
  return bytesToHex(log.tree.root(size));
}
