import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useTempNode } from '../_testing/temp-node.ts';
import { IDENTITY_FILE } from '../identity/index.ts';
import { appendLedgerEntry, ledgerSize, verifyLedger } from '../ledger/index.ts';
import { backupNodeDirectory } from './backup.ts';
import { openNodeDatabase } from './index.ts';

let root: string;
let dir: string;
let db: Database.Database;
useTempNode('node-backup-', 'n-backup', (t) => ({ root, dir, db } = t));

describe('node backup', () => {
  it('copies a live node consistently: the copy opens, verifies, and holds every ledger entry', async () => {
    for (let i = 0; i < 50; i++) appendLedgerEntry(db, { type: 'import', body: { rows: i } });
    // The node's connection stays open (WAL) while the backup reads.
    const to = join(root, 'copy');
    const files = await backupNodeDirectory(dir, to);
    expect(files).toContain('node.db');
    expect(files).toContain(IDENTITY_FILE);
    expect(statSync(join(to, IDENTITY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(to, 'node.db')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(to, IDENTITY_FILE), 'utf8')).toBe(
      readFileSync(join(dir, IDENTITY_FILE), 'utf8')
    );
    const copy = openNodeDatabase(to);
    try {
      expect(ledgerSize(copy)).toBe(ledgerSize(db));
      expect(verifyLedger(copy).ok).toBe(true);
    } finally {
      copy.close();
    }
  });

  it('never writes into a non-empty directory, and leaves nothing behind when it fails', async () => {
    const to = join(root, 'taken');
    await backupNodeDirectory(dir, to);
    writeFileSync(join(to, 'mine.txt'), 'keep');
    await expect(backupNodeDirectory(dir, to)).rejects.toThrow(/exists and is not empty/);
    expect(readFileSync(join(to, 'mine.txt'), 'utf8')).toBe('keep');
    // A damaged database copy fails the check: the partial copy is removed.
    writeFileSync(join(dir, 'node.db'), 'not a database at all, just text'.repeat(200));
    const bad = join(root, 'bad');
    await expect(backupNodeDirectory(dir, bad)).rejects.toThrow();
    expect(existsSync(bad)).toBe(false);
  });
});
