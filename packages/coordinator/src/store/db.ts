import Database from 'better-sqlite3';
import { namingDamage, refuseEmptyFile } from '@fedmark/protocol';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS, SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';

export type Db = Database.Database;

/**
 * Creates `file` owner-only (0600) if it does not exist, or makes it so: the coordinator's
 * databases hold jobs, nonces and the transparency log (docs/coordinator.md). SQLite gives the
 * -wal and -shm files the mode of the database file, so this covers all three. Returns `file`.
 */
export function ownerOnlyFile(file: string): string {
  if (!existsSync(file)) closeSync(openSync(file, 'wx', 0o600));
  else chmodSync(file, 0o600);
  return file;
}

/** File name of the coordinator database inside its directory. */
export const DB_FILE = 'coordinator.db';

/**
 * Opens (creating if needed) the coordinator database. WAL lets readers (job watch) proceed
 * while a round closes; `synchronous = FULL` makes every committed transaction durable before
 * the HTTP answer leaves, so a SIGKILL after a receipt never loses the submission it names.
 * `:memory:` is accepted for tests.
 */
export function openDb(dirOrMemory: string): Db {
  let db: Db;
  if (dirOrMemory === ':memory:') db = new Database(':memory:');
  else {
    mkdirSync(dirOrMemory, { recursive: true });
    const file = join(dirOrMemory, DB_FILE);
    refuseEmptyFile(file);
    db = new Database(ownerOnlyFile(file));
    namingDamage(file, () => db.pragma('journal_mode = WAL'));
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `coordinator database schema ${current} is newer than this program (${SCHEMA_VERSION})`
    );
  }
  if (current < SCHEMA_VERSION) {
    // One transaction: a crash mid-upgrade leaves the old version, not a half-migrated one.
    db.transaction(() => {
      if (current > 0)
        for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
          const step = MIGRATIONS[v];
          if (step === undefined) throw new Error(`no migration to coordinator schema ${v}`);
          db.exec(step);
        }
      db.exec(SCHEMA_SQL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
  return db;
}
