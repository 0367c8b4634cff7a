/**
 * The federation's figures, measured on real processes over loopback (3 nodes):
 * end-to-end job time (creation -> published), bytes each node sends per job and the ciphertext
 * expansion over the plaintext vector, and the relative error of segment counts at epsilon 0.5
 * for segments of 1,000+ customers (median over 100 runs). Aggregation and HE operation times
 * are in bench/coordinator.bench.ts and bench/he.bench.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layoutOf, SegmentQuerySchema, type JobSpecInput } from '@fedmark/protocol';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { CaptureProxy } from '../test/support/capture-proxy.ts';
import { LIFECYCLE_QUERY, lifecycleJob, median } from './support/federation-jobs.ts';

const RUNS = Number(process.env['FEDMARK_BENCH_RUNS'] ?? 100);
const PROFILES = ['retail', 'bank', 'telecom'] as const;
const SIZES = [6000, 3000, 4500];

const job = (noise: 'on' | 'off-test-only'): JobSpecInput => lifecycleJob(`bench ${noise}`, noise);

export async function run(): Promise<Record<string, unknown>> {
  const workdir = mkdtempSync(join(tmpdir(), 'fedmark-bench-fed-'));
  const proxies = new Map<string, CaptureProxy>();
  let fed: LocalFederation | undefined;
  try {
    // FEDMARK_BENCH_NODES (default 3): profiles and sizes cycle, so 3 nodes are the usual three.
    const count = Number(process.env['FEDMARK_BENCH_NODES'] ?? 3);
    const nodes = Array.from({ length: count }, (_, i) => {
      const profile = PROFILES[i % PROFILES.length]!;
      return {
        name: `${profile}-${i}`,
        data: { synth: { profile, customers: SIZES[i % SIZES.length]!, seed: `bench-${i}` } },
      };
    });
    for (const n of nodes) {
      const p = new CaptureProxy(() => fed!.coordinatorUrl);
      await p.start();
      proxies.set(n.name, p);
    }
    fed = new LocalFederation({
      workdir,
      nodes,
      pollMs: 100,
      allowNoiseOff: true,
      // A benchmark spends far more than a month's default budget: 100+ releases of 0.5.
      policyPatch: {
        budgets: [{ purpose: 'analytics', period: 'total', epsilon: 100 }],
        personBudgets: [{ period: 'total', epsilon: 100 }],
        maxEpsilonPerJob: 1,
      },
      coordinatorUrlFor: (name) => proxies.get(name)!.url,
      // The capture proxies read what each node sends, so the coordinator serves plain HTTP on
      // loopback (as in test/egress-canary.test.ts); over TLS the proxies could not forward.
      insecureHttp: true,
    });
    const t0 = Date.now();
    await fed.start();
    const startupSeconds = (Date.now() - t0) / 1000;

    // Truth: the same query with noise off (test-only switch in these nodes' policies).
    const truthId = await fed.operator.createJob(job('off-test-only'));
    await fed.operator.waitForJob(truthId, { timeoutMs: 120_000 });
    const truth = (await fed.operator.result(truthId)).rounds[0]!.cells.filter(
      (c) => c.block === 'count'
    );

    const before = new Map([...proxies].map(([n, p]) => [n, p.exchanges.length]));
    const times: number[] = [];
    const errors: number[][] = truth.map(() => []);
    for (let i = 0; i < RUNS; i++) {
      const started = Date.now();
      const id = await fed.operator.createJob(job('on'));
      await fed.operator.waitForJob(id, { timeoutMs: 120_000 });
      times.push(Date.now() - started);
      const cells = (await fed.operator.result(id)).rounds[0]!.cells.filter(
        (c) => c.block === 'count'
      );
      cells.forEach((c, k) => {
        errors[k]!.push(
          Math.abs(c.estimate - truth[k]!.estimate) / Math.max(1, truth[k]!.estimate)
        );
      });
    }
    const layout = layoutOf(SegmentQuerySchema.parse(LIFECYCLE_QUERY));
    const bytesPerNodePerJob: Record<string, number> = {};
    const submissionBytes: number[] = [];
    for (const [name, p] of proxies) {
      const mine = p.exchanges.slice(before.get(name));
      bytesPerNodePerJob[name] = Math.round(
        mine.reduce(
          (s, e) => s + e.requestBody.length + JSON.stringify(e.requestHeaders).length,
          0
        ) / RUNS
      );
      for (const e of mine.filter((x) => x.url.endsWith('/submission')))
        submissionBytes.push(e.requestBody.length);
    }
    const bigSegments = truth.map((c, k) => ({ c, k })).filter(({ c }) => c.estimate >= 1000);
    return {
      nodes: nodes.length,
      runs: RUNS,
      startupSeconds,
      jobSecondsMedian: median(times) / 1000,
      jobSecondsMax: Math.max(...times) / 1000,
      bytesPerNodePerJob,
      submissionBytesMedian: median(submissionBytes),
      layoutSlots: layout.length,
      // Plaintext vector = slots x 8 bytes (64-bit integers); the ciphertext is fixed-size.
      ciphertextExpansionOverPlaintext: median(submissionBytes) / (layout.length * 8),
      relativeErrorMedianBySegment: Object.fromEntries(
        bigSegments.map(({ c, k }) => [
          c.labels.join('x') + ` (n=${c.estimate})`,
          median(errors[k]!),
        ])
      ),
      relativeErrorMedianMaxOver1000Plus: Math.max(
        ...bigSegments.map(({ k }) => median(errors[k]!))
      ),
    };
  } finally {
    await fed?.stop();
    for (const p of proxies.values()) await p.stop();
    rmSync(workdir, { recursive: true, force: true });
  }
}
