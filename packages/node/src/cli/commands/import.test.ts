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

describe('fedmark node import with several files', () => {
  const files = join(root, 'several');
  const other = join(root, 'several-node');
  beforeAll(async () => {
    expect((await cli('node', 'init', '--dir', other, '--name', 'several')).code).toBe(0);
    expect(
      (await cli('node', 'synth', '--dir', files, '--profile', 'bank', '--customers', '40')).code
    ).toBe(0);
  });
  const f = (name: string) => join(files, name);

  it('imports customers first whatever the order given, kinds from file names and prefixes', async () => {
    const r = await cli(
      'node',
      'import',
      '--dir',
      other,
      f('events.csv'),
      `table:churn:${f('churn.csv')}`,
      f('consents.csv'),
      f('customers.csv'),
      `touches:${f('touches.csv')}`,
      '--json'
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { imports } = JSON.parse(r.out) as {
      imports: { kind: string; table?: string; rowsInserted: number }[];
    };
    expect(imports.map((x) => x.table ?? x.kind)).toEqual([
      'customers',
      'events',
      'touches',
      'consents',
      'churn',
    ]);
    expect(imports[0]?.rowsInserted).toBe(40);
    const ledger = await cli('node', 'ledger', '--dir', other, '--type', 'import', '--json');
    expect((JSON.parse(ledger.out) as { entries: unknown[] }).entries).toHaveLength(5);
  });

  it('refuses a file it cannot place before importing anything, and --kind table with several', async () => {
    const odd = join(root, 'crm-export.csv');
    writeFileSync(odd, 'customer_id\nX1\n');
    const r = await cli('node', 'import', '--dir', other, f('customers.csv'), odd);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      `cannot tell what "${odd}" holds: give --kind, or prefix it with customers:`
    );
    const t = await cli(
      'node',
      'import',
      '--dir',
      other,
      '--kind',
      'table',
      '--table',
      't',
      odd,
      odd
    );
    expect(t.code).toBe(2);
    expect(t.err).toContain('--kind table imports one file');
  });

  it('stops at a bad file, naming what was imported before it and what was not', async () => {
    const bad = join(root, 'events.csv');
    writeFileSync(bad, 'customer_id,time,type,amount\nnobody-at-all,not-a-time,purchase,1\n');
    const fresh = join(root, 'fresh-node');
    expect((await cli('node', 'init', '--dir', fresh, '--name', 'fresh')).code).toBe(0);
    const r = await cli(
      'node',
      'import',
      '--dir',
      fresh,
      f('customers.csv'),
      bad,
      f('touches.csv')
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(
      `(imported before it: ${f('customers.csv')}; not imported: ${bad}, ${f('touches.csv')})`
    );
    const ledger = await cli('node', 'ledger', '--dir', fresh, '--type', 'import', '--json');
    expect((JSON.parse(ledger.out) as { entries: unknown[] }).entries).toHaveLength(1);
  });
});
