/** Internal: what every per-kind writer shares. */
import type Database from 'better-sqlite3';
import type { NodeIdentity } from '../identity/identity.ts';
import type { CustomerResolver } from './_customer-resolver.ts';

export interface WriterContext {
  db: Database.Database;
  identity: NodeIdentity;
  importId: number;
  resolver: CustomerResolver;
  /** Import time (ms): the moment lawful-basis consents start. */
  now: number;
  /** Called with the rowid of every customer a record names (for lawful-basis coverage). */
  noteCustomer: ((rowid: number) => void) | null;
}

export interface KindWriter {
  header(cells: string[]): void;
  record(cells: string[]): void;
  /** After the last record, inside the transaction (e.g. settle column types). */
  finish(): void;
  /** Rows stored that were not there before. */
  readonly inserted: number;
  /** Rows already stored whose values this file changed. */
  readonly changed: number;
  /** Rows already stored with the same values (re-import). */
  readonly unchanged: number;
}
