import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DB_FILE, openDb, openStore } from './index.ts';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The schema as version 1 shipped it: submissions without `spec_hash`. */
function version1Sql(): string {
  const line = /^ {2}spec_hash TEXT NOT NULL DEFAULT '',\n/m;
  expect(SCHEMA_SQL).toMatch(line);
  return SCHEMA_SQL.replace(line, '');
}

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

describe('coordinator database migrations', () => {
  it('opens a version 1 database: adds submissions.spec_hash, keeps its rows, sets version 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-migrate-'));
    dirs.push(dir);
    const old = new Database(join(dir, DB_FILE));
    old.exec(version1Sql());
    old.pragma('user_version = 1');
    // A submission stored by version 1 (its job and round rows are not needed for this table).
    old.pragma('foreign_keys = OFF');
    old
      .prepare(
        'INSERT INTO submissions (job_id, round, node, key_id, layout_hash, ciphertext_hashes, enforced, signature, received_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      )
      .run('j1', 0, 'bank', 'k1', 'ab'.repeat(32), '[]', '{}', 'cd'.repeat(64), 'T', '{}');
    expect(columns(old, 'submissions')).not.toContain('spec_hash');
    old.close();

    const db = openDb(dir);
    expect(SCHEMA_VERSION).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(columns(db, 'submissions')).toContain('spec_hash');
    expect(db.prepare('SELECT node, spec_hash FROM submissions').all()).toEqual([
      { node: 'bank', spec_hash: '' },
    ]);
    db.close();
    // Opening again is a no-op (no second ALTER TABLE, which would fail on the existing column).
    const again = openStore(dir);
    again.close();
  });

  it('creates a new database at version 2 with spec_hash, and refuses a newer one', () => {
    const db = openDb(':memory:');
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(columns(db, 'submissions')).toContain('spec_hash');
    db.close();
    const dir = mkdtempSync(join(tmpdir(), 'coord-migrate-'));
    dirs.push(dir);
    const future = new Database(join(dir, DB_FILE));
    future.pragma('user_version = 3');
    future.close();
    expect(() => openDb(dir)).toThrow(
      'coordinator database schema 3 is newer than this program (2)'
    );
  });
});
