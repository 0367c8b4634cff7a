import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@fedmark/protocol';
import { describe, expect, it } from 'vitest';
import { backupCoordinatorDirectory } from './backup.ts';
import { KEY_FILE, TOKEN_FILE, initCoordinatorDir, openCoordinatorDir } from './coordinator-dir.ts';

describe('coordinator backup', () => {
  it('copies a live coordinator directory: the copy opens with the same key, nodes and tokens', async () => {
    const root = mkdtempSync(join(tmpdir(), 'coord-backup-'));
    const dir = join(root, 'coord');
    initCoordinatorDir(dir);
    const live = openCoordinatorDir(dir);
    live.store.nodes.insert({
      name: 'n-1',
      signingKey: 'ab'.repeat(32),
      boxKey: 'cd'.repeat(32),
      admittedAt: '2026-12-01T00:00:00.000Z',
    });
    // The live store stays open, as it would while the coordinator serves.
    const to = join(root, 'copy');
    const files = await backupCoordinatorDirectory(dir, to);
    expect(files).toEqual(expect.arrayContaining(['coordinator.db', KEY_FILE, TOKEN_FILE]));
    for (const f of files) expect(statSync(join(to, f)).mode & 0o777).toBe(0o600);
    const copy = openCoordinatorDir(to);
    try {
      expect(copy.store.nodes.get('n-1')?.signingKey).toBe('ab'.repeat(32));
      expect(bytesToHex(copy.coordinatorKey.publicKey)).toBe(
        bytesToHex(live.coordinatorKey.publicKey)
      );
      expect(copy.operatorToken).toBe(live.operatorToken);
    } finally {
      copy.store.close();
      copy.transparencyDb.close();
      live.store.close();
      live.transparencyDb.close();
    }
    writeFileSync(join(to, 'note'), 'x');
    await expect(backupCoordinatorDirectory(dir, to)).rejects.toThrow(/not empty/);
    expect(readFileSync(join(to, 'note'), 'utf8')).toBe('x');
  });
});
