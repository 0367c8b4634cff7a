/**
 * What the compiled CLI saves: start-up of one `fedmark` call, and federation start-up per node
 * (every party is its own process and runs several CLI calls: init, synth, imports, serve), with
 * the compiled bundles (packages/<name>/dist, scripts/build.mjs) against the comparator in the
 * same run: the same commands compiled from TypeScript on the fly by tsx (FEDMARK_FROM_SOURCE=1),
 * which is how every call ran before the build step. Wall time and CPU time of the child process
 * (user + system, from /proc of a wrapper shell), medians; the machine is shared, so the ratio
 * taken within one run is the figure to read.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { FEDMARK_BIN } from '../packages/coordinator/src/simulate/processes.ts';
import { buildCli } from '../scripts/build.mjs';

const RUNS = Number(process.env['FEDMARK_BENCH_RUNS'] ?? 7);
const COMMANDS = [
  ['--help'],
  ['node', '--help'],
  ['coordinator', '--help'],
  ['job', 'template', 'rfm'],
];
const MODES = { compiled: {}, 'tsx (before)': { FEDMARK_FROM_SOURCE: '1' } } as const;
type Mode = keyof typeof MODES;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One call's wall and CPU seconds: bash's `times` reports its children's user and system time. */
function timeOnce(args: string[], env: Record<string, string>): { wall: number; cpu: number } {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    'bash',
    ['-c', `"${process.execPath}" "${FEDMARK_BIN}" ${quoted} >/dev/null; times`],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    }
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`fedmark ${args.join(' ')} failed: ${r.stderr}`);
  // `times` prints two lines (shell, children), each "<user>m<s>s <sys>m<s>s".
  const child = r.stdout.trim().split('\n').pop() ?? '';
  const cpu = [...child.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (acc, m) => acc + Number(m[1]) * 60 + Number(m[2]),
    0
  );
  return { wall, cpu };
}

async function federationStartup(mode: Mode, nodes: number): Promise<number> {
  const workdir = mkdtempSync(join(tmpdir(), 'fedmark-bench-startup-'));
  const saved = process.env['FEDMARK_FROM_SOURCE'];
  if (mode === 'compiled') delete process.env['FEDMARK_FROM_SOURCE'];
  else process.env['FEDMARK_FROM_SOURCE'] = '1';
  const profiles = ['retail', 'bank', 'telecom'] as const;
  const fed = new LocalFederation({
    workdir,
    pollMs: 200,
    // Small data sets, so the figure is the parties' start-up rather than the import.
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `n${i}`,
      data: { synth: { profile: profiles[i % 3]!, customers: 300, seed: `startup-${i}` } },
    })),
  });
  try {
    const t0 = Date.now();
    await fed.start();
    return (Date.now() - t0) / 1000;
  } finally {
    await fed.stop();
    if (saved === undefined) delete process.env['FEDMARK_FROM_SOURCE'];
    else process.env['FEDMARK_FROM_SOURCE'] = saved;
    rmSync(workdir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, unknown>> {
  await buildCli({ quiet: true });
  const calls: Record<string, unknown>[] = [];
  for (const args of COMMANDS) {
    const row: Record<string, unknown> = { command: `fedmark ${args.join(' ')}` };
    const med: Partial<Record<Mode, { wall: number; cpu: number }>> = {};
    for (const mode of Object.keys(MODES) as Mode[]) {
      const samples = Array.from({ length: RUNS }, () => timeOnce(args, MODES[mode]));
      med[mode] = {
        wall: median(samples.map((s) => s.wall)),
        cpu: median(samples.map((s) => s.cpu)),
      };
      row[mode] = { wallSeconds: med[mode].wall, cpuSeconds: med[mode].cpu };
    }
    row['wallRatio'] = med['tsx (before)']!.wall / med.compiled!.wall;
    row['cpuRatio'] = med['tsx (before)']!.cpu / Math.max(med.compiled!.cpu, 0.001);
    calls.push(row);
    process.stderr.write(`  ${String(row['command'])}: ${JSON.stringify(row)}\n`);
  }
  const nodes = 3;
  const federation: Record<string, unknown> = { nodes, customersPerNode: 300 };
  for (const mode of Object.keys(MODES) as Mode[]) {
    const seconds = await federationStartup(mode, nodes);
    federation[mode] = { seconds, secondsPerNode: seconds / nodes };
    process.stderr.write(`  federation start-up (${mode}): ${seconds.toFixed(1)} s\n`);
  }
  const perNode = (m: Mode) => (federation[m] as { secondsPerNode: number }).secondsPerNode;
  federation['ratio'] = perNode('tsx (before)') / perNode('compiled');
  return {
    runs: RUNS,
    comparator:
      'the same commands compiled on the fly by tsx (FEDMARK_FROM_SOURCE=1), as before the build step',
    calls,
    federation,
  };
}
