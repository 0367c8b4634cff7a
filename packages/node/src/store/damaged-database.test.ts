import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../_testing/run-cli.ts';

/**
 * A damaged node.db stops the node with exit 18 naming the file and what to do: before, a
 * zero-length node.db was taken for a new database (the node came up with no data and a fresh
 * ledger), a damaged header exited 1 without the file, and damaged pages failed requests later.
 */
const root = mkdtempSync(join(tmpdir(), 'fedmark-node-damaged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function nodeWithData(name: string): Promise<string> {
  const dir = join(root, name);
  const data = join(root, `${name}-data`);
  expect((await runCli('node', 'init', '--dir', dir, '--name', name)).code).toBe(0);
  expect(
    (
      await runCli(
        'node',
        'synth',
        '--dir',
        data,
        '--profile',
        'retail',
        '--customers',
        '300',
        '--seed',
        '1'
      )
    ).code
  ).toBe(0);
  expect(
    (
      await runCli(
        'node',
        'import',
        '--dir',
        dir,
        '--kind',
        'customers',
        join(data, 'customers.csv')
      )
    ).code
  ).toBe(0);
  return dir;
}

function overwrite(file: string, offset: number, bytes: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, new Uint8Array(bytes).fill(0xa5), 0, bytes, offset);
  closeSync(fd);
}

describe('damaged node databases', () => {
  it('a zero-length node.db is refused (exit 18), not taken for a new, empty node', async () => {
    const dir = await nodeWithData('empty');
    truncateSync(join(dir, 'node.db'), 0);
    const r = await runCli('node', 'budget', '--dir', dir);
    expect(r.code).toBe(18);
    expect(r.err).toContain(`${join(dir, 'node.db')}: the file is empty (0 bytes)`);
    expect(statSync(join(dir, 'node.db')).size).toBe(0);
  });

  it('a damaged header names the file (exit 18)', async () => {
    const dir = await nodeWithData('header');
    overwrite(join(dir, 'node.db'), 0, 100);
    const r = await runCli('node', 'budget', '--dir', dir);
    expect(r.code).toBe(18);
    expect(r.err).toContain(`${join(dir, 'node.db')}: SQLite cannot read it (SQLITE_NOTADB`);
  });

  it('damaged pages stop `node serve` before it listens (exit 18)', async () => {
    const dir = await nodeWithData('pages');
    const file = join(dir, 'node.db');
    expect(statSync(file).size).toBeGreaterThan(20 * 4096);
    overwrite(file, 10 * 4096, 4 * 4096);
    const served = runCli('node', 'serve', '--dir', dir, '--port', '0');
    const r = await Promise.race([
      served,
      new Promise<'still running'>((done) => setTimeout(() => done('still running'), 15_000)),
    ]);
    expect(r).not.toBe('still running');
    if (r === 'still running') return;
    expect(r.code).toBe(18);
    expect(r.err).toMatch(
      /node\.db: (SQLite's integrity check failed|SQLite cannot read it \(SQLITE_CORRUPT)/
    );
    expect(r.out).not.toContain('listening');
  });
});
