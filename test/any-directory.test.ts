import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedFetch, tlsFingerprint } from '@fedmark/protocol';
import { freePort } from '../packages/coordinator/src/simulate/processes.ts';

/**
 * The CLI works from any directory, compiled or from the sources: the web consoles render their
 * JSX pages and `audit export` writes its report when the current directory is not the
 * repository (a tsx run that missed the repository's tsconfig answered every console page with
 * HTTP 500, "React is not defined").
 */
const BIN = join(resolve(fileURLToPath(new URL('..', import.meta.url))), 'bin', 'fedmark.mjs');
const MODES = { compiled: {}, 'from source (tsx)': { FEDMARK_FROM_SOURCE: '1' } } as const;
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function fedmark(
  cwd: string,
  env: Record<string, string>,
  ...args: string[]
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Starts a server command and resolves with its base URL once it prints `pattern`. */
async function serveUntil(
  cwd: string,
  env: Record<string, string>,
  args: string[],
  pattern: RegExp
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no ${pattern} within 60 s: ${seen}`)), 60_000);
    for (const s of [child.stdout, child.stderr]) {
      s.setEncoding('utf8').on('data', (d: string) => {
        seen += d;
        const m = pattern.exec(seen);
        if (m) {
          clearTimeout(timer);
          done(m[1] as string);
        }
      });
    }
    child.once('exit', (code) => fail(new Error(`exited ${code}: ${seen}`)));
  });
  const stop = () =>
    new Promise<void>((done) => {
      child.once('close', () => done());
      child.kill('SIGTERM');
    });
  return { url, stop };
}

describe.each(Object.entries(MODES))('the CLI outside the repository, %s', (_mode, env) => {
  it('serves the node console and writes the audit report', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fedmark-anywhere-'));
    roots.push(cwd);
    expect(fedmark(cwd, env, 'node', 'init', '--dir', 'node-a', '--name', 'retail-a').code).toBe(0);
    const node = await serveUntil(
      cwd,
      env,
      ['node', 'serve', '--dir', 'node-a', '--port', '0'],
      /API listening on (http:\/\/\S+)/
    );
    try {
      const res = await fetch(`${node.url}/console/login`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/<form[^>]*method="post"/i);
    } finally {
      await node.stop();
    }
    const report = fedmark(
      cwd,
      env,
      'audit',
      'export',
      '--node-dir',
      'node-a',
      '--out',
      'report.html'
    );
    expect(report.err).toBe('');
    expect(report.code).toBe(0);
    expect(report.out).toContain('report written to report.html');
    expect(readFileSync(join(cwd, 'report.html'), 'utf8')).toMatch(
      /^<!doctype html>[\s\S]*retail-a/i
    );
  });

  it('serves the coordinator console', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fedmark-anywhere-'));
    roots.push(cwd);
    expect(fedmark(cwd, env, 'coordinator', 'init', '--dir', 'coord').code).toBe(0);
    expect(existsSync(join(cwd, 'coord', 'operator.token'))).toBe(true);
    const port = String(await freePort());
    const coord = await serveUntil(
      cwd,
      env,
      ['coordinator', 'start', '--dir', 'coord', '--port', port],
      /coordinator listening on (https:\/\/\S+)/
    );
    try {
      const pin = tlsFingerprint(readFileSync(join(cwd, 'coord', 'tls.crt'), 'utf8'));
      const res = await pinnedFetch(pin)(`${coord.url}/console/login`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/<form[^>]*method="post"/i);
    } finally {
      await coord.stop();
    }
  });
});
