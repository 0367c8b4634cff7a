import type Database from 'better-sqlite3';
import type { NodeIdentity } from '../identity/index.ts';

/** What every console page's data loader reads from: the node directory, its database, its identity. */
export interface NodeConsoleContext {
  dir: string;
  db: Database.Database;
  identity: NodeIdentity;
  /** Mount path of the console, e.g. "/console" (for links between pages). */
  base: string;
  /** The clock pages use for "now" (budgets, consents in force); tests may fix it. */
  now(): Date;
}
