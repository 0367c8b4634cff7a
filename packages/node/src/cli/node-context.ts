import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { NodeIdentity } from '../identity/index.ts';
import { CliError, EXIT } from './exit-codes.ts';

export interface OpenNode {
  dir: string;
  db: Database.Database;
  identity: NodeIdentity;
  close(): void;
}

/**
 * Opens an initialised node directory. Store and identity load lazily so `--help` and `synth`
 * never load the SQLite binding. A directory without identity.json is exit 15, not a stack trace.
 */
export async function openNode(dir: string): Promise<OpenNode> {
  const { IDENTITY_FILE, loadIdentity } = await import('../identity/index.ts');
  if (!existsSync(join(dir, IDENTITY_FILE))) {
    throw new CliError(
      EXIT.NO_NODE,
      `no node in ${dir} (run "fedmark node init --dir ${dir} --name NAME" first)`
    );
  }
  const identity = loadIdentity(dir);
  const { openNodeDatabase } = await import('../store/index.ts');
  const db = openNodeDatabase(dir, { busyTimeoutMs: cliBusyTimeoutMs() });
  return { dir, db, identity, close: () => db.close() };
}

/**
 * How long a CLI command waits for the node database's write lock held by another process (a
 * long `node import`, the running node's releases) before giving up with exit 19: 30 s, or
 * FEDMARK_BUSY_TIMEOUT_MS. An interactive command would rather wait than fail; the node's agent
 * keeps 5 s and defers the task to its next poll instead (federation/transient.ts).
 */
export function cliBusyTimeoutMs(): number {
  const v = Number(process.env['FEDMARK_BUSY_TIMEOUT_MS']);
  return Number.isSafeInteger(v) && v >= 0 ? v : 30_000;
}

/** Runs `fn` with an open node and always closes the database. */
export async function withNode<T>(dir: string, fn: (node: OpenNode) => Promise<T> | T): Promise<T> {
  const node = await openNode(dir);
  let result: T;
  try {
    result = await fn(node);
  } catch (err) {
    // Closing can itself fail (an abandoned SQLite iterator keeps the connection busy); the
    // process is about to report `err` and exit, so that secondary failure must not mask it.
    try {
      node.close();
    } catch {
      /* reported error wins */
    }
    throw err;
  }
  node.close();
  return result;
}
