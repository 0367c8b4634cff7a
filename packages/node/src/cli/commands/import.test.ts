import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../../_testing/run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'fedmark-cli-import-'));
const dir = join(root, 'node');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  expect((await cli('node', 'init', '--dir', dir, '--name', 'import-cli')).code).toBe(0);
});

describe('fedmark node import --encoding', () => {
  // "K\xfc1" and "K\xe41": Latin-1 bytes for Kü1 and Kä1.
  const file = join(root, 'legacy.csv');
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from('customer_id\nK'),
      Buffer.from([0xfc]),
      Buffer.from('1\nK'),
      Buffer.from([0xe4]),
      Buffer.from('1\n'),
    ])
  );

  it('refuses invalid UTF-8 with exit 10, naming line, column and byte offset', async () => {
    const r = await cli('node', 'import', '--dir', dir, '--kind', 'customers', file);
    expect(r.code).toBe(10);
    expect(r.err).toContain(
      'legacy.csv:2: column "customer_id": invalid UTF-8 at byte offset 13 (byte 2 of line 2): byte 0xfc is not valid here; if the file is Latin-1, import it with --encoding latin1'
    );
  });

  it('imports two distinct customers with --encoding latin1, and refuses an unknown encoding', async () => {
    const r = await cli(
      'node',
      'import',
      '--dir',
      dir,
      '--kind',
      'customers',
      '--encoding',
      'latin1',
      file,
      '--json'
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ rowsRead: 2, rowsInserted: 2, rowsUnchanged: 0 });
    const bad = await cli(
      'node',
      'import',
      '--dir',
      dir,
      '--kind',
      'customers',
      '--encoding',
      'cp1252',
      file
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('expected one of utf-8|latin1, got "cp1252"');
  });
});
