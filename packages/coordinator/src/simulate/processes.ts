import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repo's CLI entry point: every simulated party runs as its own `fedmark` process. Found by
 * walking up from this module, which runs from packages/coordinator/src (tests) or from the
 * compiled bundle in packages/coordinator/dist (the CLI).
 */
export const FEDMARK_BIN = findBin(dirname(fileURLToPath(import.meta.url)));

function findBin(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'bin', 'fedmark.mjs');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`bin/fedmark.mjs not found above ${from}`);
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fedmark <args>` to completion; throws with its stderr when it exits non-zero. */
export async function runFedmark(
  args: string[],
  env: NodeJS.ProcessEnv = process.env
): Promise<CommandResult> {
  const child = spawn(process.execPath, [FEDMARK_BIN, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new Error(
      `fedmark ${args.slice(0, 3).join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`
    );
  }
  return { code, stdout, stderr };
}

/** A long-running `fedmark` process whose output lines go to `onLine` (prefixed by the caller). */
export function startFedmark(
  args: string[],
  onLine: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env
): ChildProcess {
  const child = spawn(process.execPath, [FEDMARK_BIN, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  return child;
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills a child at once (a crash, for fault tests). */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** A free TCP port on loopback (the OS picks it; the tiny race until the child binds is harmless here). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
