import type { Member, PolicySummary } from '@fedmark/protocol';
import type { Db } from './db.ts';

export interface NodeRecord {
  name: string;
  signingKey: string;
  boxKey: string;
  admittedAt: string;
  removedAt: string | null;
  lastSeenAt: string | null;
}

/** Admitted nodes, one-time enrollment tokens and the request nonces seen recently. */
export interface NodeStore {
  get(name: string): NodeRecord | undefined;
  bySigningKey(signingKey: string): NodeRecord | undefined;
  list(): NodeRecord[];
  /** Current members (not removed), sorted by name: the membership of the next key epoch. */
  members(): Member[];
  insert(rec: Omit<NodeRecord, 'removedAt' | 'lastSeenAt'>): void;
  remove(name: string, at: string): void;
  touch(name: string, at: string): void;
  insertToken(tokenHash: string, name: string, expiresAt: number): void;
  /** MUST mark the token used and return its name only if it exists, is unused and unexpired. */
  takeToken(tokenHash: string, now: number, at: string): { name: string } | { refused: string };
  /** MUST record (node, nonce) and return true iff it was already recorded. */
  recordNonce(node: string, nonce: string, now: number): boolean;
  pruneNonces(olderThan: number): void;
  /** The node's latest signed policy summary (job preflight), replacing an older one. */
  putPolicySummary(summary: PolicySummary, receivedAt: string): void;
  policySummary(node: string): PolicySummary | undefined;
}

interface NodeRow {
  name: string;
  signing_key: string;
  box_key: string;
  admitted_at: string;
  removed_at: string | null;
  last_seen_at: string | null;
}

const fromRow = (r: NodeRow): NodeRecord => ({
  name: r.name,
  signingKey: r.signing_key,
  boxKey: r.box_key,
  admittedAt: r.admitted_at,
  removedAt: r.removed_at,
  lastSeenAt: r.last_seen_at,
});

/**
 * Rows changed by request bookkeeping (nonces, last-seen times): every signed request writes them,
 * so `Store.version` leaves them out (store/version.ts); nothing a poll answers depends on them.
 */
export interface BookkeepingCounter {
  changes: number;
}

export function sqliteNodeStore(
  db: Db,
  bookkeeping: BookkeepingCounter = { changes: 0 }
): NodeStore {
  const q = {
    get: db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE name = ?'),
    byKey: db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE signing_key = ?'),
    list: db.prepare<[], NodeRow>('SELECT * FROM nodes ORDER BY name'),
    members: db.prepare<[], NodeRow>('SELECT * FROM nodes WHERE removed_at IS NULL ORDER BY name'),
    insert: db.prepare(
      'INSERT INTO nodes (name, signing_key, box_key, admitted_at) VALUES (?, ?, ?, ?)'
    ),
    remove: db.prepare('UPDATE nodes SET removed_at = ? WHERE name = ?'),
    touch: db.prepare('UPDATE nodes SET last_seen_at = ? WHERE name = ?'),
    insertToken: db.prepare(
      'INSERT INTO enrollment_tokens (token_hash, name, expires_at) VALUES (?, ?, ?)'
    ),
    getToken: db.prepare<[string], { name: string; expires_at: number; used_at: string | null }>(
      'SELECT name, expires_at, used_at FROM enrollment_tokens WHERE token_hash = ?'
    ),
    useToken: db.prepare(
      'UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL'
    ),
    nonce: db.prepare('INSERT OR IGNORE INTO nonces (node, nonce, seen_at) VALUES (?, ?, ?)'),
    prune: db.prepare('DELETE FROM nonces WHERE seen_at < ?'),
  };
  return {
    get: (name) => {
      const r = q.get.get(name);
      return r ? fromRow(r) : undefined;
    },
    bySigningKey: (key) => {
      const r = q.byKey.get(key);
      return r ? fromRow(r) : undefined;
    },
    list: () => q.list.all().map(fromRow),
    members: () =>
      q.members.all().map((r) => ({ name: r.name, signingKey: r.signing_key, boxKey: r.box_key })),
    insert: (rec) => void q.insert.run(rec.name, rec.signingKey, rec.boxKey, rec.admittedAt),
    remove: (name, at) => void q.remove.run(at, name),
    touch: (name, at) => {
      bookkeeping.changes += q.touch.run(at, name).changes;
    },
    insertToken: (hash, name, expiresAt) => void q.insertToken.run(hash, name, expiresAt),
    takeToken: (hash, now, at) => {
      const t = q.getToken.get(hash);
      if (!t) return { refused: 'unknown enrollment token' };
      if (t.used_at) return { refused: 'enrollment token already used' };
      if (t.expires_at < now) return { refused: 'enrollment token expired' };
      q.useToken.run(at, hash);
      return { name: t.name };
    },
    recordNonce: (node, nonce, now) => {
      const changes = q.nonce.run(node, nonce, now).changes;
      bookkeeping.changes += changes;
      return changes === 0;
    },
    pruneNonces: (olderThan) => {
      bookkeeping.changes += q.prune.run(olderThan).changes;
    },
    putPolicySummary: (summary, receivedAt) =>
      void db
        .prepare(
          'INSERT INTO node_policies (node, body, received_at) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET body = excluded.body, received_at = excluded.received_at'
        )
        .run(summary.node, JSON.stringify(summary), receivedAt),
    policySummary: (node) => {
      const row = db.prepare('SELECT body FROM node_policies WHERE node = ?').get(node) as
        | { body: string }
        | undefined;
      return row ? (JSON.parse(row.body) as PolicySummary) : undefined;
    },
  };
}
