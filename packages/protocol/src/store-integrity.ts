import { existsSync, statSync } from 'node:fs';

/**
 * Start-up checks of the SQLite files a node or coordinator keeps its state in (docs/
 * coordinator.md and docs/node-cli.md, "damaged databases"). They take the database as a
 * structural handle, so this package never imports better-sqlite3.
 */

/** What the checks need of a better-sqlite3 connection. */
export interface PragmaRunner {
  pragma(source: string): unknown;
  close(): unknown;
}

/**
 * A database file that exists but cannot be the state it should hold: empty, not SQLite, or
 * failing SQLite's own consistency check. The message names the file and what to do.
 */
export class DamagedDatabaseError extends Error {
  constructor(
    readonly file: string,
    reason: string
  ) {
    super(
      `${file}: ${reason}. Refusing to use it: restore the directory from a backup, or move the file away to start over`
    );
    this.name = 'DamagedDatabaseError';
  }
}

/**
 * Refuses an existing zero-length file before SQLite sees it: SQLite would take it for a new,
 * empty database (a coordinator would come up as an empty federation, a node with no data).
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
 * `PRAGMA quick_check` on a connection `open` makes (read-only is enough): every page and index
 * entry is read, so damaged pages in the middle of the file are found at start-up rather than as
 * HTTP 500s later. It reads the whole file (about a second per GB), so servers run it when they
 * start, not every CLI call. The connection is closed afterwards.
 */
export function quickCheckFile(file: string, open: (file: string) => PragmaRunner): void {
  refuseEmptyFile(file);
  namingDamage(file, () => {
    const db = open(file);
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
