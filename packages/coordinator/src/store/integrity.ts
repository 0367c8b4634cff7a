import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';

/**
 * A database file that exists but cannot be the coordinator's state: empty, not SQLite, or
 * failing SQLite's own consistency check. The message names the file and what to do
 * (docs/coordinator.md, "Backup and damaged databases").
 */
export class DamagedDatabaseError extends Error {
  constructor(
    readonly file: string,
    reason: string
  ) {
    super(
      `${file}: ${reason}. The coordinator will not start on it: restore the directory from a backup, or move the file away to start over`
    );
    this.name = 'DamagedDatabaseError';
  }
}

/**
 * Refuses an existing zero-length file before SQLite sees it: SQLite would take it for a new,
 * empty database, and a coordinator would come up as an empty federation with its jobs gone.
 */
export function refuseEmptyFile(file: string): void {
  if (existsSync(file) && statSync(file).size === 0) {
    throw new DamagedDatabaseError(file, 'the file is empty (0 bytes)');
  }
}

/** SQLite's result codes for a file that is not a database or is damaged. */
const DAMAGED_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/** Runs `fn` (opening or first use of a database) and names the file if SQLite finds it damaged. */
export function namingDamage<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && DAMAGED_CODES.has(code)) {
      throw new DamagedDatabaseError(
        file,
        `SQLite cannot read it (${code}: ${(err as Error).message})`
      );
    }
    throw err;
  }
}

/**
 * `PRAGMA quick_check` on its own read-only connection: every page and index entry is read, so
 * damaged pages in the middle of the file are found at start-up rather than as HTTP 500s later.
 * It reads the whole file (about a second per GB), so servers run it when they start, not
 * every CLI call.
 */
export function quickCheckFile(file: string): void {
  refuseEmptyFile(file);
  namingDamage(file, () => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
      const problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
      if (problems.length > 0) {
        throw new DamagedDatabaseError(
          file,
          `SQLite's integrity check failed: ${problems.join('; ')}`
        );
      }
    } finally {
      db.close();
    }
  });
}
