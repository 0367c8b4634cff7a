/**
 * Internal test helper: a node directory under the OS temp folder with its database open, for
 * one test or one file. Tests call create/remove from their own hooks when they set up more
 * (identity, imports, a coordinator); useTempDatabase registers both hooks for the common case
 * of a bare database per test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import { initNode, loadIdentity, type NodeIdentity } from '../identity/index.ts';
import { openNodeDatabase } from '../store/index.ts';

/** A temp folder holding a node database. `root` is what {@link removeTempNode} deletes. */
export interface TempDatabase {
  root: string;
  dir: string;
  db: Database.Database;
}

/** A temp folder holding an initialised node (identity, policy, database) in `root/node`. */
export interface TempNode extends TempDatabase {
  identity: NodeIdentity;
}

/**
 * Opens a node database in a fresh temp folder (`dir` is `root`), with no identity: enough for
 * ledger, policy, budget and release tests.
 * @example beforeEach(() => void ({ dir, db } = openTempDatabase('ledger-')));
 */
export function openTempDatabase(prefix: string): TempDatabase {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, dir: root, db: openNodeDatabase(root) };
}

/**
 * Runs `initNode` in `root/node` of a fresh temp folder (so a test can write its CSV files into
 * `root`), then loads the identity and opens the database.
 * @example beforeEach(async () => void ({ root, dir, db, identity } = await createTempNode('erase-', 'n')));
 */
export async function createTempNode(prefix: string, name: string): Promise<TempNode> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dir = join(root, 'node');
  await initNode({ dir, name });
  return { root, dir, db: openNodeDatabase(dir), identity: loadIdentity(dir) };
}

/** Closes the database, then deletes the whole temp folder. */
export function removeTempNode(t: Pick<TempDatabase, 'root' | 'db'>): void {
  t.db.close();
  rmSync(t.root, { recursive: true, force: true });
}

/**
 * Gives every test of the calling file (or describe block) its own {@link openTempDatabase},
 * handed to `use` before the test, and removes it after.
 * @example
 * let db: Database.Database;
 * useTempDatabase('ledger-', (t) => ({ db } = t));
 */
export function useTempDatabase(prefix: string, use: (t: TempDatabase) => void): void {
  let current: TempDatabase | undefined;
  beforeEach(() => {
    current = openTempDatabase(prefix);
    use(current);
  });
  afterEach(() => {
    if (current) removeTempNode(current);
    current = undefined;
  });
}

/**
 * Gives every test of the calling file (or describe block) its own {@link createTempNode},
 * handed to `use` before the test (and before the file's own beforeEach hooks registered after
 * this call), and removes it after.
 * @example
 * let db: Database.Database;
 * let id: NodeIdentity;
 * useTempNode('erase-', 'n', (t) => ({ db, identity: id } = t));
 */
export function useTempNode(prefix: string, name: string, use: (t: TempNode) => void): void {
  let current: TempNode | undefined;
  beforeEach(async () => {
    current = await createTempNode(prefix, name);
    use(current);
  });
  afterEach(() => {
    if (current) removeTempNode(current);
    current = undefined;
  });
}
