/**
 * How the federation scales with its node count (issue 16, docs/scale.md "Node count"): real
 * local federations of light synthetic nodes (one process per party over loopback, TLS, secure
 * aggregation and distributed noise on, as a user runs them) at FEDMARK_SCALE_NODES nodes
 * (default 3,10,30,60,100), each with FEDMARK_SCALE_CUSTOMERS customers (default 300). Per size:
 * start-up (init, data, admission, key ceremony) in all and per node, the median time of a
 * lifecycle job from creation to publication over FEDMARK_SCALE_JOBS jobs (default 3), and the
 * CPU seconds the coordinator and all nodes together spend per job (from /proc/<pid>/stat,
 * Linux), with the coordinator's peak RSS. bench/results/federation-scale.svg plots job time and
 * coordinator CPU per job against node count. The comparator is the smallest federation of the
 * same run: ratios are taken against it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { lifecycleJob, median } from './support/federation-jobs.ts';

const NODE_COUNTS = (process.env['FEDMARK_SCALE_NODES'] ?? '3,10,30,60,100').split(',').map(Number);
const CUSTOMERS = Number(process.env['FEDMARK_SCALE_CUSTOMERS'] ?? 300);
const JOBS = Number(process.env['FEDMARK_SCALE_JOBS'] ?? 3);
const PROFILES = ['retail', 'bank', 'telecom'] as const;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const job = lifecycleJob('scale bench lifecycle');

/** CPU seconds (user + system) a live process has used, or 0 once it is gone. */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return 0;
  }
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/**
 * Creates the job once the key epoch is active. Each admission starts a new epoch, and with 100
 * nodes the last one's ceremony (one sealed secret key per member) can still be running when
 * the federation reports started: the coordinator then answers KEY_EPOCH_PENDING.
 */
async function createWhenKeyed(fed: LocalFederation, spec: typeof job): Promise<string> {
  const until = Date.now() + 300_000;
  for (;;) {
    try {
      return await fed.operator.createJob(spec);
    } catch (err) {
      if ((err as { code?: string }).code !== 'KEY_EPOCH_PENDING' || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

interface SizeFigures {
  nodes: number;
  startupSeconds: number;
  startupSecondsPerNode: number;
  jobSecondsMedian: number;
  coordinatorCpuSecondsPerJob: number;
  nodesCpuSecondsPerJob: number;
  coordinatorPeakRssMiB: number;
}

async function measure(count: number): Promise<SizeFigures> {
  const workdir = mkdtempSync(join(tmpdir(), `fedmark-scale-${count}-`));
  const fed = new LocalFederation({
    workdir,
    nodes: Array.from({ length: count }, (_, i) => {
      const profile = PROFILES[i % PROFILES.length] as (typeof PROFILES)[number];
      return {
        name: `${profile}-${i}`,
        data: { synth: { profile, customers: CUSTOMERS, seed: `scale-${i}` } },
      };
    }),
    pollMs: 200,
    policyPatch: { budgets: [{ purpose: 'analytics', period: 'total', epsilon: 100 }] },
  });
  try {
    const t0 = Date.now();
    await fed.start();
    const startupSeconds = (Date.now() - t0) / 1000;
    const pids = () => fed.nodes.map((n) => n.process?.pid);
    const coordinatorCpu0 = cpuOf(fed.coordinator?.pid);
    const nodesCpu0 = pids().reduce<number>((s, p) => s + cpuOf(p), 0);
    const times: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const started = Date.now();
      const id = await createWhenKeyed(fed, job);
      await fed.operator.waitForJob(id, { timeoutMs: 600_000 });
      times.push((Date.now() - started) / 1000);
    }
    return {
      nodes: count,
      startupSeconds: +startupSeconds.toFixed(1),
      startupSecondsPerNode: +(startupSeconds / count).toFixed(2),
      jobSecondsMedian: +median(times).toFixed(2),
      coordinatorCpuSecondsPerJob: +(
        (cpuOf(fed.coordinator?.pid) - coordinatorCpu0) /
        JOBS
      ).toFixed(2),
      nodesCpuSecondsPerJob: +(
        (pids().reduce<number>((s, p) => s + cpuOf(p), 0) - nodesCpu0) /
        JOBS
      ).toFixed(2),
      coordinatorPeakRssMiB: rssMiB(fed.coordinator?.pid),
    };
  } finally {
    await fed.stop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

/** Two lines against node count (log scale): job seconds and coordinator CPU-s per job. */
function chart(rows: SizeFigures[]): string {
  const W = 560;
  const H = 300;
  const pad = 50;
  const xs = rows.map((r) => Math.log10(r.nodes));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const yMax = Math.max(
    ...rows.flatMap((r) => [r.jobSecondsMedian, r.coordinatorCpuSecondsPerJob]),
    1
  );
  const px = (n: number) => pad + ((Math.log10(n) - x0) / (x1 - x0)) * (W - 2 * pad);
  const py = (v: number) => H - pad - (v / yMax) * (H - 2 * pad);
  const line = (pick: (r: SizeFigures) => number, color: string, label: string, dy: number) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${rows
      .map((r) => `${px(r.nodes).toFixed(1)},${py(pick(r)).toFixed(1)}`)
      .join(' ')}"/>` +
    rows
      .map(
        (r) =>
          `<circle cx="${px(r.nodes).toFixed(1)}" cy="${py(pick(r)).toFixed(1)}" r="3" fill="${color}"/>`
      )
      .join('') +
    `<text x="${W - pad - 190}" y="${pad + dy}" fill="${color}" font-size="12">${label}</text>`;
  const ticks = rows
    .map(
      (r) =>
        `<text x="${px(r.nodes).toFixed(1)}" y="${H - pad + 16}" font-size="11" text-anchor="middle">${r.nodes}</text>`
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>
<text x="${pad}" y="${pad - 10}" font-size="12">seconds (0 to ${yMax.toFixed(1)})</text>
<text x="${W / 2}" y="${H - 12}" font-size="12" text-anchor="middle">nodes (log scale)</text>
${ticks}
${line((r) => r.jobSecondsMedian, '#1f77b4', 'job time, median (s)', 0)}
${line((r) => r.coordinatorCpuSecondsPerJob, '#d62728', 'coordinator CPU per job (s)', 16)}
</svg>
`;
}

export async function run(): Promise<Record<string, unknown>> {
  const rows: SizeFigures[] = [];
  const failed: { nodes: number; error: string }[] = [];
  for (const count of NODE_COUNTS) {
    process.stderr.write(`federation-scale: ${count} nodes ...\n`);
    try {
      rows.push(await measure(count));
      process.stderr.write(`federation-scale: ${JSON.stringify(rows.at(-1))}\n`);
    } catch (err) {
      // A size the federation cannot reach is a finding, not the end of the run.
      failed.push({ nodes: count, error: err instanceof Error ? err.message : String(err) });
      process.stderr.write(`federation-scale: ${count} nodes failed: ${failed.at(-1)?.error}\n`);
    }
  }
  writeFileSync(
    fileURLToPath(new URL('./results/federation-scale.svg', import.meta.url)),
    chart(rows)
  );
  const base = rows[0] as SizeFigures;
  return {
    customersPerNode: CUSTOMERS,
    jobsPerSize: JOBS,
    sizes: rows,
    failed,
    ratiosOverSmallest: rows.map((r) => ({
      nodes: r.nodes,
      jobTime: +(r.jobSecondsMedian / base.jobSecondsMedian).toFixed(2),
      coordinatorCpuPerJob: +(
        r.coordinatorCpuSecondsPerJob / Math.max(0.01, base.coordinatorCpuSecondsPerJob)
      ).toFixed(2),
    })),
  };
}
