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
import { run } from '../cli/main.ts';
import { captureCli } from '../_testing.ts';

/**
 * Damaged databases stop the coordinator with exit 27 and a message naming the file: before, a
 * zero-length coordinator.db came up as an empty federation (old jobs 404), a damaged header
 * exited 1 without naming the file, and damaged middle pages started and then answered 500.
 */
const root = mkdtempSync(join(tmpdir(), 'fedmark-integrity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function freshCoordinator(name: string): Promise<string> {
  const dir = join(root, name);
  expect(await run(['coordinator', 'init', '--dir', dir, '--json'], captureCli().io)).toBe(0);
  // Some rows, so the file has pages beyond the schema's.
  for (let i = 0; i < 40; i++) {
    const key = (i + 1).toString(16).padStart(64, '0');
    const box = (i + 101).toString(16).padStart(64, '0');
    const c = captureCli();
    await run(
      [
        'coordinator',
        'admit',
        '--dir',
        dir,
        '--name',
        `node-${i}`,
        '--signing-key',
        key,
        '--box-key',
        box,
      ],
      c.io
    );
  }
  return dir;
}

function overwrite(file: string, offset: number, bytes: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, new Uint8Array(bytes).fill(0xa5), 0, bytes, offset);
  closeSync(fd);
}

describe('damaged coordinator databases', () => {
  it('a zero-length coordinator.db is refused (exit 27), not taken for an empty federation', async () => {
    const dir = await freshCoordinator('empty');
    truncateSync(join(dir, 'coordinator.db'), 0);
    const c = captureCli();
    expect(await run(['coordinator', 'nodes', '--dir', dir], c.io)).toBe(27);
    expect(c.err()).toContain(`${join(dir, 'coordinator.db')}: the file is empty (0 bytes)`);
    expect(c.err()).toContain('restore the directory from a backup');
  });

  it('a damaged header names the file (exit 27)', async () => {
    const dir = await freshCoordinator('header');
    overwrite(join(dir, 'coordinator.db'), 0, 100);
    const c = captureCli();
    expect(await run(['coordinator', 'nodes', '--dir', dir], c.io)).toBe(27);
    expect(c.err()).toContain(
      `${join(dir, 'coordinator.db')}: SQLite cannot read it (SQLITE_NOTADB`
    );
  });

  it('damaged middle pages stop `coordinator start` before it listens (exit 27)', async () => {
    const dir = await freshCoordinator('pages');
    const file = join(dir, 'coordinator.db');
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(8 * 4096);
    overwrite(file, 4 * 4096, 3 * 4096);
    const c = captureCli();
    const started = run(['coordinator', 'start', '--dir', dir, '--port', '0'], c.io);
    const code = await Promise.race([
      started,
      new Promise((r) => setTimeout(() => r('still running'), 15_000)),
    ]);
    expect(code).toBe(27);
    // quick_check either lists the damage or, on a page it cannot parse at all, fails itself.
    expect(c.err()).toMatch(
      /coordinator\.db: (SQLite's integrity check failed|SQLite cannot read it \(SQLITE_CORRUPT)/
    );
    expect(c.out()).not.toContain('listening');
  });
});
