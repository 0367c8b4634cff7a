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

const SECAGG_TABLES = ['secagg_setups', 'secagg_unmasks'] as const;

/** The schema as version 5 shipped it: key bundles of version 1, no key_epochs.encrypted_secret_key. */
function version5Sql(): string {
  const column = /^ {2}encrypted_secret_key BLOB,\n/m;
  expect(SCHEMA_SQL).toMatch(column);
  return SCHEMA_SQL.replace(column, '');
}

/** The schema as version 2 shipped it: no secure aggregation (rounds.secagg and its two tables). */
function version2Sql(): string {
  const v5 = version5Sql();
  const column = /^ {2}secagg TEXT,\n/m;
  const table = (name: string) =>
    new RegExp(`^CREATE TABLE IF NOT EXISTS ${name} \\([^;]*\\);\\n`, 'm');
  expect(v5).toMatch(column);
  for (const t of SECAGG_TABLES) expect(v5).toMatch(table(t));
  return SECAGG_TABLES.reduce((sql, t) => sql.replace(table(t), ''), v5.replace(column, ''));
}

/** The schema as version 1 shipped it: version 2 without submissions.spec_hash. */
function version1Sql(): string {
  const line = /^ {2}spec_hash TEXT NOT NULL DEFAULT '',\n/m;
  expect(SCHEMA_SQL).toMatch(line);
  return version2Sql().replace(line, '');
}

function tables(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((t) => t.name);
}

/** An open round as an older version stored it (its job row is not needed for this table). */
function insertOldRound(db: Database.Database): void {
  db.prepare(
    'INSERT INTO rounds (job_id, round, query, layout_hash, layout_length, status, opened_at, deadline_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
  ).run('j1', 0, '{}', 'ab'.repeat(32), 3, 'open', 1, 2);
}

/** What migration 3 adds: rounds.secagg (null for rounds stored before it) and the two tables. */
function expectSecaggSchema(db: Database.Database): void {
  expect(columns(db, 'rounds')).toContain('secagg');
  // And migration 4's table of node policy summaries (job preflight).
  expect(columns(db, 'node_policies')).toEqual(['node', 'body', 'received_at']);
  for (const t of SECAGG_TABLES) {
    expect(tables(db)).toContain(t);
    expect(columns(db, t)).toEqual(['job_id', 'round', 'node', 'body']);
  }
}

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

describe('coordinator database migrations', () => {
  it('opens a version 1 database: adds submissions.spec_hash and the secure-aggregation schema, keeps its rows, sets version 6', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-migrate-'));
    dirs.push(dir);
    const old = new Database(join(dir, DB_FILE));
    old.exec(version1Sql());
    old.pragma('user_version = 1');
    // A round and a submission stored by version 1 (the job row is not needed for these tables).
    old.pragma('foreign_keys = OFF');
    insertOldRound(old);
    old
      .prepare(
        'INSERT INTO submissions (job_id, round, node, key_id, layout_hash, ciphertext_hashes, enforced, signature, received_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      )
      .run('j1', 0, 'bank', 'k1', 'ab'.repeat(32), '[]', '{}', 'cd'.repeat(64), 'T', '{}');
    expect(columns(old, 'submissions')).not.toContain('spec_hash');
    expect(columns(old, 'rounds')).not.toContain('secagg');
    for (const t of SECAGG_TABLES) expect(tables(old)).not.toContain(t);
    old.close();

    const db = openDb(dir);
    expect(SCHEMA_VERSION).toBe(6);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(tables(db)).toEqual(expect.arrayContaining(['overlap_jobs', 'overlap_pairs']));
    expect(columns(db, 'submissions')).toContain('spec_hash');
    expect(db.prepare('SELECT node, spec_hash FROM submissions').all()).toEqual([
      { node: 'bank', spec_hash: '' },
    ]);
    expectSecaggSchema(db);
    expect(db.prepare('SELECT job_id, round, status, secagg FROM rounds').all()).toEqual([
      { job_id: 'j1', round: 0, status: 'open', secagg: null },
    ]);
    db.close();
    // Opening again is a no-op (no second ALTER TABLE, which would fail on the existing column).
    const again = openStore(dir);
    expect(again.jobs.getRound('j1', 0)).toMatchObject({ status: 'open', secagg: null });
    again.close();
  });

  it('opens a version 2 database: adds rounds.secagg and the setup and unmask tables, keeps its rows, sets version 6', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-migrate-'));
    dirs.push(dir);
    const old = new Database(join(dir, DB_FILE));
    old.exec(version2Sql());
    old.pragma('user_version = 2');
    old.pragma('foreign_keys = OFF');
    insertOldRound(old);
    old
      .prepare(
        'INSERT INTO submissions (job_id, round, node, key_id, layout_hash, spec_hash, ciphertext_hashes, enforced, signature, received_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      )
      .run(
        'j1',
        0,
        'bank',
        'k1',
        'ab'.repeat(32),
        'ef'.repeat(32),
        '[]',
        '{}',
        'cd'.repeat(64),
        'T',
        '{}'
      );
    expect(columns(old, 'submissions')).toContain('spec_hash');
    expect(columns(old, 'rounds')).not.toContain('secagg');
    for (const t of SECAGG_TABLES) expect(tables(old)).not.toContain(t);
    old.close();

    const db = openDb(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expectSecaggSchema(db);
    expect(db.prepare('SELECT job_id, round, status, secagg FROM rounds').all()).toEqual([
      { job_id: 'j1', round: 0, status: 'open', secagg: null },
    ]);
    expect(db.prepare('SELECT node, spec_hash FROM submissions').all()).toEqual([
      { node: 'bank', spec_hash: 'ef'.repeat(32) },
    ]);
    for (const t of SECAGG_TABLES)
      expect(db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });
    db.close();
    // Opening again is a no-op; the store reads the old round with no secure-aggregation state.
    const again = openStore(dir);
    expect(again.jobs.getRound('j1', 0)).toMatchObject({ status: 'open', secagg: null });
    expect(again.jobs.secaggSetups('j1', 0)).toEqual([]);
    expect(again.jobs.secaggUnmasks('j1', 0)).toEqual([]);
    again.close();
  });

  it('creates a new database at version 6 with spec_hash and the secure-aggregation schema, and refuses a newer one', () => {
    const db = openDb(':memory:');
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(columns(db, 'submissions')).toContain('spec_hash');
    expectSecaggSchema(db);
    db.close();
    const dir = mkdtempSync(join(tmpdir(), 'coord-migrate-'));
    dirs.push(dir);
    const future = new Database(join(dir, DB_FILE));
    future.pragma('user_version = 7');
    future.close();
    expect(() => openDb(dir)).toThrow(
      'coordinator database schema 7 is newer than this program (6)'
    );
  });

  it('opens a version 5 database: an epoch installing a version 1 bundle goes back to generating with no acks; finished epochs drop their boxes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coord-migrate-'));
    dirs.push(dir);
    const old = new Database(join(dir, DB_FILE));
    old.exec(version5Sql());
    old.pragma('user_version = 5');
    const epoch = old.prepare(
      'INSERT INTO key_epochs (seq, he_params, state, members, generator, public_key, public_key_hash, sealed, bundle_signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
    );
    const v1Boxes = JSON.stringify({ b: 'c2VhbGVk' });
    epoch.run(1, 'bfv-8192-t60', 'active', '[]', 'a', Buffer.from([1]), 'ab', v1Boxes, 's', 'T');
    epoch.run(
      2,
      'bfv-8192-t60',
      'installing',
      '[]',
      'a',
      Buffer.from([2]),
      'cd',
      v1Boxes,
      's',
      'T'
    );
    const ack = old.prepare('INSERT INTO key_acks (seq, node, signature, at) VALUES (?, ?, ?, ?)');
    for (const [seq, node] of [
      [1, 'b'],
      [2, 'a'],
      [2, 'b'],
    ] as const)
      ack.run(seq, node, 'sig', 'T');
    old.close();

    const db = openDb(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(
      db
        .prepare(
          'SELECT seq, state, public_key_hash, sealed, bundle_signature, encrypted_secret_key FROM key_epochs ORDER BY seq'
        )
        .all()
    ).toEqual([
      {
        seq: 1,
        state: 'active',
        public_key_hash: 'ab',
        sealed: null,
        bundle_signature: 's',
        encrypted_secret_key: null,
      },
      {
        seq: 2,
        state: 'generating',
        public_key_hash: null,
        sealed: null,
        bundle_signature: null,
        encrypted_secret_key: null,
      },
    ]);
    expect(db.prepare('SELECT seq, node FROM key_acks ORDER BY seq, node').all()).toEqual([
      { seq: 1, node: 'b' },
    ]);
    db.close();
  });
});
