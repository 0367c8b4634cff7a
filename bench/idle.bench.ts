/**
 * What a federation costs when nothing runs, and how it scales (docs/scale.md "Cheap federation"):
 * a real local federation (one process per party over loopback, `fedmark simulate`'s poll
 * interval of 200 ms) at 3 and 10 nodes; once the key ceremony is done and the nodes settled, the
 * CPU time of every process over a fixed window from /proc/<pid>/stat, as % of one core per node
 * (coordinator included); start-up seconds per node (init, synthetic data, import, admission, key
 * ceremony); and the median time of a lifecycle job (creation to publication).
 *
 * The comparator is measured in the same run, interleaved with this tree size by size: the same
 * figures for another commit, checked out in a git worktree whose CLI is built
 * (FEDMARK_IDLE_BASE_TREE=<path>; without it only this tree is measured). FEDMARK_IDLE_TREE
 * measures another checkout than this one as "after", e.g. a worktree of this commit whose CLI
 * bundle no other process rebuilds mid-run. FEDMARK_IDLE_NODES (default "3,10"),
 * FEDMARK_IDLE_WINDOW_S (30) and FEDMARK_IDLE_JOBS (10) size the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LocalFederation as Federation } from '../packages/coordinator/src/simulate/federation.ts';
import { lifecycleJob, median } from './support/federation-jobs.ts';

const HERE = fileURLToPath(new URL('..', import.meta.url));
const NODE_COUNTS = (process.env['FEDMARK_IDLE_NODES'] ?? '3,10').split(',').map(Number);
const WINDOW_S = Number(process.env['FEDMARK_IDLE_WINDOW_S'] ?? 30);
const JOBS = Number(process.env['FEDMARK_IDLE_JOBS'] ?? 10);
/** `fedmark simulate`'s default poll interval. */
const POLL_MS = 200;
/** After the key ceremony: first checkpoints, policy summaries and key acks settle. */
const SETTLE_MS = 5000;
const PROFILES = ['retail', 'bank', 'telecom'] as const;
const SIZES = [6000, 3000, 4500];
/** Linux USER_HZ: /proc/<pid>/stat reports utime and stime in these ticks. */
const CLOCK_TICKS = Number(
  (() => {
    try {
      return execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    } catch {
      return '100';
    }
  })()
);

const job = lifecycleJob('idle bench lifecycle');

/** utime + stime of `pid` and every live descendant, in ticks (a party runs in one process). */
function cpuTicks(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state ppid ... utime(14) stime(15).
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), {
        ppid: Number(rest[1]),
        ticks: Number(rest[11]) + Number(rest[12]),
      });
    } catch {
      // exited while listing
    }
  }
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop()!;
    total += stats.get(p)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === p) queue.push(child);
  }
  return total;
}

interface TreeFigures {
  nodes: number;
  startupSeconds: number;
  startupSecondsPerNode: number;
  windowSeconds: number;
  idleCpuPercentOfCoreTotal: number;
  idleCpuPercentOfCorePerNode: number;
  coordinatorCpuPercentOfCore: number;
  nodeCpuPercentOfCoreMedian: number;
  nodeCpuPercentOfCoreMax: number;
  jobs: number;
  jobSecondsMedian: number;
  jobCpuSecondsAllParties: number;
}

async function measure(tree: string, count: number): Promise<TreeFigures> {
  const { LocalFederation } = (await import(
    pathToFileURL(join(tree, 'packages/coordinator/src/simulate/federation.ts')).href
  )) as { LocalFederation: typeof Federation };
  const workdir = mkdtempSync(join(tmpdir(), 'fedmark-bench-idle-'));
  const nodes = Array.from({ length: count }, (_, i) => {
    const profile = PROFILES[i % PROFILES.length]!;
    return {
      name: `${profile}-${i}`,
      data: { synth: { profile, customers: SIZES[i % SIZES.length]!, seed: `idle-${i}` } },
    };
  });
  const fed = new LocalFederation({
    workdir,
    nodes,
    pollMs: POLL_MS,
    policyPatch: {
      budgets: [{ purpose: 'analytics', period: 'total', epsilon: 100 }],
      personBudgets: [{ period: 'total', epsilon: 100 }],
      maxEpsilonPerJob: 1,
    },
  });
  try {
    const t0 = Date.now();
    await fed.start();
    await fed.waitForKeys(300_000);
    const startupSeconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, SETTLE_MS));

    const parties = [
      { name: 'coordinator', pid: fed.coordinator!.pid! },
      ...fed.nodes.map((n) => ({ name: n.name, pid: n.process!.pid! })),
    ];
    const before = parties.map((p) => cpuTicks(p.pid));
    const w0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const seconds = Number(process.hrtime.bigint() - w0) / 1e9;
    const percent = parties.map(
      (p, i) => ((cpuTicks(p.pid) - before[i]!) / CLOCK_TICKS / seconds) * 100
    );
    const nodePercents = percent.slice(1);
    const total = percent.reduce((a, b) => a + b, 0);

    const times: number[] = [];
    const jobTicks0 = parties.map((p) => cpuTicks(p.pid));
    for (let i = 0; i < JOBS; i++) {
      const started = Date.now();
      const id = await fed.operator.createJob(job);
      await fed.operator.waitForJob(id, { timeoutMs: 180_000 });
      times.push(Date.now() - started);
    }
    // CPU all parties spent per job: with one process per party on a machine of few cores, a
    // job's time cannot shrink below this over the number of cores.
    const jobTicks = parties.reduce((sum, p, i) => sum + cpuTicks(p.pid) - jobTicks0[i]!, 0);
    return {
      nodes: count,
      startupSeconds,
      startupSecondsPerNode: startupSeconds / count,
      windowSeconds: seconds,
      idleCpuPercentOfCoreTotal: total,
      idleCpuPercentOfCorePerNode: total / count,
      coordinatorCpuPercentOfCore: percent[0]!,
      nodeCpuPercentOfCoreMedian: median(nodePercents),
      nodeCpuPercentOfCoreMax: Math.max(...nodePercents),
      jobs: JOBS,
      jobSecondsMedian: median(times) / 1000,
      jobCpuSecondsAllParties: jobTicks / CLOCK_TICKS / JOBS,
    };
  } finally {
    await fed.stop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

function gitHead(tree: string): string {
  return execFileSync('git', ['-C', tree, 'rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
  }).trim();
}

function summary(tree: string, rows: TreeFigures[]): Record<string, unknown> {
  const small = rows.find((r) => r.nodes === Math.min(...NODE_COUNTS));
  const large = rows.find((r) => r.nodes === Math.max(...NODE_COUNTS));
  return {
    commit: gitHead(tree),
    rows,
    ...(small && large && small !== large
      ? { jobTimeRatioLargeOverSmall: large.jobSecondsMedian / small.jobSecondsMedian }
      : {}),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const baseTree = process.env['FEDMARK_IDLE_BASE_TREE'];
  const trees = [
    ...(baseTree ? [{ role: 'before', tree: resolve(baseTree) }] : []),
    { role: 'after', tree: resolve(process.env['FEDMARK_IDLE_TREE'] ?? HERE) },
  ];
  // Interleaved (before then after at each size): the machine is shared, and its load drifts
  // over the minutes one size takes, so the two trees are measured as close together as can be.
  const rows = new Map<string, TreeFigures[]>(trees.map((t) => [t.role, []]));
  for (const n of NODE_COUNTS)
    for (const t of trees) {
      process.stderr.write(`bench idle: ${t.role} (${t.tree}) at ${n} nodes ...\n`);
      const row = await measure(t.tree, n);
      process.stderr.write(`bench idle: ${JSON.stringify(row)}\n`);
      rows.get(t.role)?.push(row);
    }
  return {
    pollMs: POLL_MS,
    windowSeconds: WINDOW_S,
    data: `synthetic ${PROFILES.join('/')} nodes of ${SIZES.join('/')} customers (cycled), seeds idle-<i>`,
    targets: {
      idleCpuPercentOfCorePerNode: '< 2',
      jobTimeRatio10Over3: '<= 1.5',
      startupSecondsPerNode: '< 3',
    },
    ...Object.fromEntries(trees.map((t) => [t.role, summary(t.tree, rows.get(t.role) ?? [])])),
  };
}
