import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../_testing/run-cli.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import { listLedger } from '../ledger/index.ts';

let dir: string;
let db: Database.Database;
useTempNode('cli-busy-', 'n-busy', (t) => ({ dir, db } = t));
afterEach(() => {
  delete process.env['FEDMARK_BUSY_TIMEOUT_MS'];
});

describe('a CLI command meeting a database another process is writing', () => {
  it('waits for the lock, then exits 19 with a clear message and writes nothing; runs once the lock is gone', async () => {
    process.env['FEDMARK_BUSY_TIMEOUT_MS'] = '200';
    const holder = new Database(join(dir, 'node.db'));
    holder.exec('BEGIN IMMEDIATE'); // what a long import holds
    const grant = [
      'node',
      'consent',
      'grant',
      '--dir',
      dir,
      '--customer',
      'c-1',
      '--purpose',
      'analytics',
    ];
    const busy = await runCli(...grant);
    expect(busy.code).toBe(19);
    expect(busy.err).toMatch(
      /stayed locked by another process .* nothing was written: run the command again/
    );
    holder.exec('ROLLBACK');
    holder.close();
    expect(listLedger(db, { type: 'consent_granted' })).toEqual([]);
    const ok = await runCli(...grant);
    expect(ok.code).toBe(0);
    expect(listLedger(db, { type: 'consent_granted' })).toHaveLength(1);
  });
});
