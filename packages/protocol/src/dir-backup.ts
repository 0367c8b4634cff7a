import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bytesToHex, randomBytes } from './hashing.ts';

/**
 * A consistent copy of a node's or the coordinator's directory while it runs (docs/operations.md
 * "Backups"): each SQLite database through SQLite's online backup API (a snapshot even while
 * the server writes: better-sqlite3 `db.backup`), checked with quick_check, and the key, token
 * and policy files copied owner-only. Written into a temporary sibling and renamed into place at
 * the end, so a failed backup leaves nothing half-written. Restoring is using the copy as the
 * directory (`--dir`). This package never imports better-sqlite3: callers pass `openReadonly`.
 */
export interface BackupDatabase {
  backup(destination: string): Promise<unknown>;
  close(): void;
}

export interface DirectoryBackup {
  from: string;
  to: string;
  /** SQLite files in `from` (a missing one is skipped, e.g. a node that never enrolled). */
  databases: readonly string[];
  /** Plain files in `from`, copied if present. */
  files: readonly string[];
  /** Sub-directories copied whole (e.g. he-keys). */
  dirs?: readonly string[];
  openReadonly: (file: string) => BackupDatabase;
  /** Throws when the copied database is damaged (protocol quickCheckFile with a handle). */
  check: (file: string) => void;
}

function copyTree(src: string, dst: string): string[] {
  mkdirSync(dst, { mode: 0o700 });
  const out: string[] = [];
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    if (statSync(s).isDirectory()) out.push(...copyTree(s, d).map((f) => join(name, f)));
    else {
      copyFileSync(s, d);
      chmodSync(d, 0o600);
      out.push(name);
    }
  }
  return out;
}

/** Copies the directory; returns the files written, relative to `to`. */
export async function backupDirectory(o: DirectoryBackup): Promise<string[]> {
  const to = resolve(o.to);
  if (existsSync(to) && readdirSync(to).length > 0)
    throw new Error(`${to} exists and is not empty: a backup never overwrites anything`);
  const tmp = join(dirname(to), `.${bytesToHex(randomBytes(6))}.backup-partial`);
  mkdirSync(tmp, { mode: 0o700 });
  try {
    const written: string[] = [];
    for (const name of o.databases) {
      const src = join(o.from, name);
      if (!existsSync(src)) continue;
      const db = o.openReadonly(src);
      try {
        await db.backup(join(tmp, name));
      } finally {
        db.close();
      }
      chmodSync(join(tmp, name), 0o600);
      o.check(join(tmp, name));
      written.push(name);
    }
    for (const name of o.files) {
      const src = join(o.from, name);
      if (!existsSync(src)) continue;
      copyFileSync(src, join(tmp, name));
      chmodSync(join(tmp, name), 0o600);
      written.push(name);
    }
    for (const name of o.dirs ?? []) {
      const src = join(o.from, name);
      if (existsSync(src))
        written.push(...copyTree(src, join(tmp, name)).map((f) => join(name, f)));
    }
    if (existsSync(to)) rmSync(to, { recursive: true });
    renameSync(tmp, to);
    return written;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
