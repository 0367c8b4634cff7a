import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { namingDamage, quickCheckFile, refuseEmptyFile } from '@fedmark/protocol';
import { MIGRATIONS } from './_schema.ts';

/** The node's single database file inside its directory (docs/node-data.md). */
export const NODE_DB_FILE = 'node.db';

/**
 * Opens (creating if needed) `<dir>/node.db` and brings the store's tables up to date.
 * - WAL: readers (HTTP API, auditors) never block the writer.
 * - secure_delete=ON: SQLite overwrites deleted content with zeros, so an erased customer's
 *   bytes do not linger in free pages (erasure also truncates the WAL, see erasure/).
 * - synchronous=NORMAL: in WAL mode a commit survives a process crash; only an OS crash or
 *   power loss may lose the last transactions, never corrupt the file (sqlite.org/wal.html).
 */
export function openNodeDatabase(
  dir: string,
  opts: {
    /** How long a write waits for another process's lock before SQLITE_BUSY (default 5 s). */
    busyTimeoutMs?: number;
  } = {}
): Database.Database {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('"dir" expected a non-empty path');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, NODE_DB_FILE);
  // The database holds raw customer data: owner-only (0600). SQLite gives the -wal and -shm files
  // the same mode as the database file, so creating it 0600 up front covers all three.
  if (!existsSync(file)) closeSync(openSync(file, 'wx', 0o600));
  else refuseEmptyFile(file);
  if (process.platform !== 'win32') {
    try {
      chmodSync(file, 0o600);
    } catch {
      // Not our file (read-only auditor copy): leave it as it is.
    }
  }
  const db = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
  try {
    namingDamage(file, () => db.pragma('journal_mode = WAL'));
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    // 64 MiB page cache: bulk imports touch the tail of large b-trees repeatedly.
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * SQLite's quick_check over `<dir>/node.db` (every page read, about a second per GB): `node serve`
 * runs it at start so damaged pages stop the node with a message naming the file instead of
 * failing requests later. Throws DamagedDatabaseError.
 */
export function checkNodeDatabase(dir: string): void {
  quickCheckFile(
    join(dir, NODE_DB_FILE),
    (file) => new Database(file, { readonly: true, fileMustExist: true })
  );
}

function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS node_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)'
  );
  const applied = new Set(db.prepare('SELECT name FROM node_migrations').pluck().all() as string[]);
  const record = db.prepare(
    'INSERT OR IGNORE INTO node_migrations (name, applied_at) VALUES (?, ?)'
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.name)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.name, new Date().toISOString());
    }).immediate();
  }
}
