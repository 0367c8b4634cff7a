import type { Db } from './db.ts';
import type { BookkeepingCounter } from './node-store.ts';

/**
 * A value that changes whenever the database content changes, except for request bookkeeping
 * (nonces, last-seen times): what in-memory caches of derived state compare before serving
 * (docs/coordinator.md "Caches"). It MUST change on every committed write by this connection and
 * on every commit by any other connection (`fedmark coordinator admit` writes the live database
 * from another process), so a cache keyed on it can never serve state older than the database.
 *
 * - This connection: SQLite's `total_changes()` counts every row an INSERT, UPDATE or DELETE
 *   changed since the connection opened, triggers included (sqlite.org/c3ref/total_changes.html).
 *   It never decreases, not even when a transaction rolls back, so a rollback only looks like a
 *   change (a spurious miss, never a stale hit).
 * - Other connections: `PRAGMA data_version` changes when another connection committed
 *   (sqlite.org/pragma.html#pragma_data_version).
 *
 * Inside a transaction the content may still roll back to an earlier state without the version
 * going back: `cacheable()` is false there, and callers neither fill nor trust a cache then.
 */
export interface StoreVersion {
  version(): string;
  cacheable(): boolean;
}

export function sqliteStoreVersion(db: Db, bookkeeping: BookkeepingCounter): StoreVersion {
  const total = db.prepare<[], number>('SELECT total_changes()').pluck();
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  return {
    version: () => `${dataVersion.get()}.${(total.get() as number) - bookkeeping.changes}`,
    cacheable: () => !db.inTransaction,
  };
}
