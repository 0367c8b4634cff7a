import { openDb, type Db } from './db.ts';
import { sqliteNodeStore, type BookkeepingCounter, type NodeStore } from './node-store.ts';
import { sqliteKeyStore, type KeyStore } from './key-store.ts';
import { sqliteJobStore, type JobStore } from './job-store.ts';
import { sqliteOverlapStore, type OverlapStore } from './overlap-store.ts';
import { sqliteStoreVersion, type StoreVersion } from './version.ts';

export type { Db } from './db.ts';
export { DB_FILE, openDb, ownerOnlyFile } from './db.ts';
export type { NodeStore, NodeRecord } from './node-store.ts';
export type { KeyStore, EpochRecord, EpochState } from './key-store.ts';
export { keyIdOf, seqOfKeyId } from './key-store.ts';
export type * from './job-store.ts';
export type * from './overlap-store.ts';
export type { StoreVersion } from './version.ts';

/** All coordinator state behind per-concept interfaces, plus one transaction primitive. */
export interface Store {
  nodes: NodeStore;
  keys: KeyStore;
  jobs: JobStore;
  overlaps: OverlapStore;
  /** Runs `fn` atomically (SQLite transaction): either every write in it lands or none. */
  transaction<T>(fn: () => T): T;
  /** Changes with every write but request bookkeeping: what caches of derived state key on. */
  state: StoreVersion;
  close(): void;
}

export function openStore(dirOrMemory: string): Store {
  const db: Db = openDb(dirOrMemory);
  const bookkeeping: BookkeepingCounter = { changes: 0 };
  return {
    nodes: sqliteNodeStore(db, bookkeeping),
    keys: sqliteKeyStore(db),
    jobs: sqliteJobStore(db),
    overlaps: sqliteOverlapStore(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    state: sqliteStoreVersion(db, bookkeeping),
    close: () => db.close(),
  };
}
