/**
 * CPU seconds of a child process, for comparators run as commands (sqlite3's CLI): Linux adds a
 * waited-for child's user and system time to the parent's cutime/cstime (/proc/self/stat fields
 * 16 and 17, in clock ticks of 1/100 s on Linux), so the difference around spawnSync is the
 * child's CPU.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function childrenCpuTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[13]) + Number(fields[14]);
}

export function timedCommand(
  command: string,
  args: string[],
  opts: SpawnSyncOptions = {}
): { seconds: number; cpuSeconds: number; stdout: string } {
  const ticks = childrenCpuTicks();
  const t = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', ...opts });
  const seconds = (performance.now() - t) / 1000;
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`${command} exited ${String(r.status)}: ${String(r.stderr).slice(0, 400)}`);
  return {
    seconds,
    cpuSeconds: (childrenCpuTicks() - ticks) / TICKS_PER_SECOND,
    stdout: String(r.stdout),
  };
}
