/**
 * Next-best-action benchmark (docs/decide.md "Performance"): a node holding a synthetic retail
 * institution (`fedmark node synth`, profile retail, seed decide-bench; default 1M customers,
 * DECIDE_BENCH_CUSTOMERS to change), decided with docs/examples/decision-policy.json (its
 * example churn model over the churn feature table and example channel x hour rates) at
 * 2025-12-31T10:00Z, the last day of the synthetic window (so the fatigue window holds touches).
 * Targets (issue: next-best-action at the node): p99 under 200 ms for one decision through the
 * in-process API, a batch of every customer under 60 s. Then every customer's CLV scored with
 * docs/examples/clv-model.json (`fedmark node clv-score`). Figures only, no assertions.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClvModelSchema } from '../packages/protocol/src/index.ts';
import { dayOfIso } from '../packages/node/src/analytics/_days.ts';
import { createNodeApp } from '../packages/node/src/api/app.ts';
import { scoreSummaries } from '../packages/node/src/clv/score-summaries.ts';
import { writeClvScores } from '../packages/node/src/clv/score-table.ts';
import { generateApiTokens } from '../packages/node/src/api/tokens.ts';
import { decideBatch, loadDecisionPolicy } from '../packages/node/src/decide/index.ts';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { importCsv } from '../packages/node/src/importing/index.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { generateSynthetic } from '../packages/node/src/synth/index.ts';

const POLICY = join(import.meta.dirname, '..', 'docs', 'examples', 'decision-policy.json');
const CLV_MODEL = join(import.meta.dirname, '..', 'docs', 'examples', 'clv-model.json');
const AT = new Date('2025-12-31T10:00:00Z');

const cpuSince = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

export async function run(): Promise<Record<string, unknown>> {
  const customers = Number(process.env['DECIDE_BENCH_CUSTOMERS'] ?? 1_000_000);
  const singles = Number(process.env['DECIDE_BENCH_SINGLES'] ?? 2000);
  const root = mkdtempSync(join(tmpdir(), 'decide-bench-'));
  try {
    const data = join(root, 'data');
    let t = performance.now();
    const synth = await generateSynthetic({
      dir: data,
      profile: 'retail',
      seed: 'decide-bench',
      customers,
    });
    const synthSeconds = (performance.now() - t) / 1000;
    const dir = join(root, 'node');
    await initNode({ dir, name: 'decide-bench' });
    const identity = loadIdentity(dir);
    const db = openNodeDatabase(dir);
    t = performance.now();
    for (const kind of ['customers', 'events', 'touches', 'consents'] as const) {
      await importCsv(db, identity, { kind, file: synth.files[kind] });
      process.stderr.write(`decide bench: imported ${kind}\n`);
    }
    await importCsv(db, identity, { kind: 'table', table: 'churn', file: synth.files.churn });
    const importSeconds = (performance.now() - t) / 1000;
    rmSync(data, { recursive: true, force: true });

    // Single decisions through the node API in-process (auth, validation, JSON both ways, the
    // decision-log write of each request), for random customers.
    copyFileSync(POLICY, join(dir, 'decision-policy.json'));
    for (const f of ['churn-model.json', 'channel-hour-rates.json'])
      copyFileSync(join(POLICY, '..', f), join(dir, f));
    const tokens = generateApiTokens();
    const admin = tokens.find((x) => x.role === 'admin')?.token as string;
    const app = createNodeApp({ dir, db, identity, tokens, log: () => {} });
    const ids = db
      .prepare('SELECT customer_id FROM customers ORDER BY random() LIMIT ?')
      .pluck()
      .all(singles) as string[];
    const ask = (id: string) =>
      app.request('/v1/decide', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: id, at: AT.toISOString() }),
      });
    await ask(ids[0] as string); // loads and compiles the installed policy once
    const ms: number[] = [];
    let withAction = 0;
    for (const id of ids) {
      const t0 = performance.now();
      const res = await ask(id);
      const body = (await res.json()) as { decisions: { action: unknown }[] };
      ms.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`decide answered ${res.status}`);
      if (body.decisions[0]?.action) withAction++;
    }
    ms.sort((a, b) => a - b);

    // The batch: every customer into one CSV, as `fedmark node decide --all --out` does.
    const out = join(root, 'decisions.csv');
    const loaded = loadDecisionPolicy(POLICY);
    t = performance.now();
    const c0 = process.cpuUsage();
    const mix = await decideBatch({ db, identity, loaded, now: AT }, { out });
    const batchSeconds = (performance.now() - t) / 1000;
    const batchCpuSeconds = cpuSince(c0);
    const outMiB = statSync(out).size / 2 ** 20;

    // CLV scoring of every customer (`fedmark node clv-score`, docs/clv.md "Per-customer") with
    // the example CLV model, and, in the same run, the summaries query alone (its SQL floor).
    const clvModel = ClvModelSchema.parse(JSON.parse(readFileSync(CLV_MODEL, 'utf8')));
    t = performance.now();
    const s0 = process.cpuUsage();
    const summaries = scoreSummaries(db, dayOfIso('2025-12-31'), clvModel.daysPerUnit).length;
    const summarySeconds = (performance.now() - t) / 1000;
    const summaryCpuSeconds = cpuSince(s0);
    t = performance.now();
    const k0 = process.cpuUsage();
    const scored = writeClvScores(db, clvModel, { asOf: '2026-01-01' });
    const clvSeconds = (performance.now() - t) / 1000;
    const clvCpuSeconds = cpuSince(k0);
    db.close();
    return {
      data: `synth retail, seed decide-bench, ${customers} customers`,
      rows: synth.rows,
      synthSeconds: round(synthSeconds),
      importSeconds: round(importSeconds),
      policy: 'docs/examples/decision-policy.json',
      at: AT.toISOString(),
      single: {
        requests: ms.length,
        withAction,
        p50Ms: round(quantile(ms, 0.5), 3),
        p99Ms: round(quantile(ms, 0.99), 3),
        maxMs: round(ms.at(-1) as number, 3),
        targetP99Ms: 200,
      },
      batch: {
        decisions: mix.decisions,
        withAction: mix.withAction,
        seconds: round(batchSeconds),
        cpuSeconds: round(batchCpuSeconds),
        decisionsPerSecond: Math.round(mix.decisions / batchSeconds),
        outMiB: round(outMiB, 1),
        targetSeconds: 60,
        actions: mix.actions,
        channels: mix.channels,
        reasons: mix.reasons,
        rules: mix.rules,
      },
      clvScore: {
        model: 'docs/examples/clv-model.json',
        asOf: '2026-01-01',
        scored: scored.scored,
        seconds: round(clvSeconds),
        cpuSeconds: round(clvCpuSeconds),
        customersPerSecond: Math.round(scored.scored / clvSeconds),
        comparator: 'the CLV summaries query alone (scoreSummaries), same run',
        summaries,
        summarySeconds: round(summarySeconds),
        summaryCpuSeconds: round(summaryCpuSeconds),
        ratioToSummaries: round(clvCpuSeconds / summaryCpuSeconds),
      },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
