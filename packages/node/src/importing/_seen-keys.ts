/**
 * Internal: the keys one import has written so far, for kinds whose rows are keyed by the
 * customer (customers, feature tables; docs/node-data.md "CSV import"). A key that comes back in
 * the same file would silently overwrite the earlier row, so the writer refuses it instead. Kept
 * in a temporary SQLite table rather than in memory: a file of 10M customers stays flat.
 */
import type Database from 'better-sqlite3';

export interface SeenKeys {
  /** Records `key` as written by data record `record` (0-based); returns the earlier record if any. */
  firstSeen(key: string | number, record: number): number | null;
}

export function createSeenKeys(db: Database.Database): SeenKeys {
  db.exec(
    'CREATE TEMP TABLE IF NOT EXISTS import_seen_keys (key PRIMARY KEY, record INTEGER NOT NULL) WITHOUT ROWID; DELETE FROM temp.import_seen_keys;'
  );
  const add = db.prepare(
    'INSERT INTO temp.import_seen_keys (key, record) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'
  );
  const find = db.prepare('SELECT record FROM temp.import_seen_keys WHERE key = ?').pluck();
  return {
    firstSeen(key, record) {
      if (add.run(key, record).changes === 1) return null;
      return find.get(key) as number;
    },
  };
}
