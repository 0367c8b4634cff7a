import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  JobSpecSchema,
  asJobSpec,
  type JobResult,
  type JobSpecInput,
  type JobStatus,
} from '@fedmark/protocol';
import { defaultJobs } from './default-jobs.ts';
import { loadPolicyPatch } from './policy-patch.ts';
import { modelFileAction } from './model-file.ts';
import { LocalFederation, type NodeSetup } from './federation.ts';
import { abTestOf, abTestReport, epsilonSpentPerNode, modelFooter } from './demo-summary.ts';
import { jobReport } from './report.ts';
import { overlapDemoJob, withOverlapPolicy } from './overlap-demo.ts';
import {
  DEMO_AUDIENCE_FILE,
  DEMO_DECISIONS_FILE,
  actionReport,
  responseRatesOf,
  runActionDemo,
  type ActionDemo,
} from './action-demo.ts';
import { consoleGuide, untilInterrupted } from './serve.ts';

const PROFILES = ['retail', 'bank', 'telecom'] as const;
/**
 * Non-identically distributed by default: each node a different kind of institution and size.
 * The retailer has its profile's full default size because the A/B job's showcase campaign
 * (spring_sale) runs there: with 20,000 customers the lift's interval excludes 0 in about 96% of
 * runs, with 12,000 in under 80% (docs/coordinator.md, "simulate").
 */
const DEFAULT_SIZES: Record<(typeof PROFILES)[number], number> = {
  retail: 20000,
  bank: 3000,
  telecom: 4500,
};
/** Where the default run writes the demo's model when --model-out is not given (current directory). */
export const DEMO_MODEL_FILE = 'fedmark-demo-model.json';
const KINDS = ['customers', 'events', 'touches', 'consents'] as const;
type Kind = (typeof KINDS)[number];
type NodeFile =
  | { kind: Kind; path: string }
  | { kind: 'table'; table: string; path: string; idColumn?: string };

interface SimulateOptions {
  nodes: number;
  node: string[];
  lawfulBasis: string[];
  job?: string;
  asOf: string;
  epsilon: number;
  seed: string;
  out?: string;
  modelOut?: string;
  idColumn: string;
  workdir?: string;
  keep?: boolean;
  serve?: boolean;
  pollMs: number;
  timeoutMs: number;
  json?: boolean;
  verbose?: boolean;
  testOnlyNoNoise?: boolean;
  overlap?: boolean;
  policy?: string;
  partial?: boolean;
  decide: boolean;
}

/**
 * `--node NAME=customers.csv,events.csv`, `--node NAME=events:a.csv,...` (kind from the prefix or
 * the file name), or a feature table for train jobs: `--node NAME=table:churn:a.csv`.
 */
export function parseNodeArg(
  value: string,
  idColumn = 'customer_id'
): { name: string; files: NodeFile[] } {
  const eq = value.indexOf('=');
  if (eq < 1)
    throw new InvalidArgumentError(`expected NAME=file.csv[,file.csv...], got "${value}"`);
  const name = value.slice(0, eq);
  const files = value
    .slice(eq + 1)
    .split(',')
    .filter(Boolean)
    .map((spec): NodeFile => {
      const t = /^table:([A-Za-z0-9_]+):(.+)$/.exec(spec);
      if (t) return { kind: 'table', table: t[1]!, path: resolve(t[2]!), idColumn };
      const m = /^(customers|events|touches|consents):(.+)$/.exec(spec);
      if (m) return { kind: m[1] as Kind, path: resolve(m[2]!) };
      const kind = KINDS.find((k) => spec.toLowerCase().includes(k));
      if (!kind)
        throw new InvalidArgumentError(
          `cannot tell what "${spec}" holds: prefix it with customers:, events:, touches: or consents:`
        );
      return { kind, path: resolve(spec) };
    });
  if (files.length === 0) throw new InvalidArgumentError(`node ${name} names no files`);
  // Customers first so events and touches attach to them; feature tables last.
  const order = (k: NodeFile['kind']) => (k === 'table' ? KINDS.length : KINDS.indexOf(k));
  files.sort((a, b) => order(a.kind) - order(b.kind));
  return { name, files };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/**
 * The jobs to run: --job, or the default ones the nodes' data can answer. Synthetic nodes have
 * everything; nodes with the user's files get the A/B job only if each has touches, and the
 * train job only if each has a `churn` feature table (else every node would refuse it).
 */
function loadJobs(opts: SimulateOptions, setups: readonly NodeSetup[]): JobSpecInput[] {
  if (!opts.job) {
    const every = (has: (f: NodeFile) => boolean) =>
      setups.every((s) => 'synth' in s.data || s.data.files.some(has));
    return defaultJobs(opts.asOf, opts.epsilon, {
      abTest: every((f) => f.kind === 'touches'),
      responseRates: every((f) => f.kind === 'touches'),
      train: every((f) => f.kind === 'table' && f.table === 'churn'),
    });
  }
  const raw = JSON.parse(readFileSync(opts.job, 'utf8')) as unknown;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((written, i) => {
    // A bare train spec (docs/models.md §1) runs as written: it becomes the train job of §9.
    const spec = asJobSpec(written);
    const r = JobSpecSchema.safeParse(spec);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new Error(
        `${opts.job}: job ${i}: ${issue.path.join('.') || '(root)'}: ${issue.message}`
      );
    }
    return spec as JobSpecInput;
  });
}

function nodeSetups(opts: SimulateOptions): NodeSetup[] {
  if (opts.node.length > 0) {
    return opts.node.map((v) => {
      const { name, files } = parseNodeArg(v, opts.idColumn);
      return { name, data: { files, lawfulBasis: opts.lawfulBasis } };
    });
  }
  return Array.from({ length: opts.nodes }, (_, i) => {
    const profile = PROFILES[i % PROFILES.length]!;
    const name = `${profile}-${String.fromCharCode(97 + i)}`;
    return {
      name,
      data: { synth: { profile, customers: DEFAULT_SIZES[profile], seed: `${opts.seed}-${i}` } },
    };
  });
}

function progressLine(s: JobStatus): string {
  const r = s.rounds.find((x) => x.status !== 'published') ?? s.rounds[s.rounds.length - 1];
  if (!r) return `${s.name}: ${s.status}`;
  const states = r.nodes
    .map((n) => `${n.name}:${n.state}${n.reason ? ` (${n.reason})` : ''}`)
    .join(' ');
  // An overlap job runs its pairs' rounds side by side: say how many are done, not just the first.
  const open = s.rounds.filter((x) => x.status !== 'published').length;
  const done =
    open > 1 ? ` (${s.rounds.length - open} of ${s.rounds.length} rounds published)` : '';
  return `${s.name}: round ${r.round} ${r.status} — ${states}${done}`;
}

async function simulate(
  opts: SimulateOptions,
  out: (s: string) => void,
  err: (s: string) => void
): Promise<number> {
  const setups = nodeSetups(opts);
  const jobs = [...loadJobs(opts, setups), ...(opts.overlap ? [overlapDemoJob()] : [])];
  if (setups.length < 3)
    throw new Error(
      `a federation needs at least 3 nodes (got ${setups.length}): with two, each could subtract its own share and read the other's`
    );
  const workdir = opts.workdir
    ? resolve(opts.workdir)
    : mkdtempSync(join(tmpdir(), 'fedmark-sim-'));
  const started = Date.now();
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const userPatch = loadPolicyPatch(opts.policy);
  const policyPatch = opts.overlap ? withOverlapPolicy(userPatch) : userPatch;
  const fed = new LocalFederation({
    workdir,
    nodes: setups,
    pollMs: opts.pollMs,
    allowNoiseOff: opts.testOnlyNoNoise,
    ...(policyPatch ? { policyPatch } : {}),
    log: (l) => (opts.verbose ? err(`${l}\n`) : undefined),
    onProgress: (p) =>
      err(`  [${secs(Date.now() - started).padStart(6)}] ${p.party}: ${p.what} (${secs(p.ms)})\n`),
  });
  // The default run keeps its model in the current directory; with --job only --model-out writes one.
  const modelFile = opts.modelOut
    ? resolve(opts.modelOut)
    : opts.job
      ? undefined
      : resolve(DEMO_MODEL_FILE);
  const stopOnSignal = () => void fed.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  try {
    err(
      `Starting a coordinator and ${setups.length} nodes (${setups.map((s) => s.name).join(', ')}) in ${workdir} ...\n`
    );
    await fed.start();
    await fed.waitForKeys();
    const startupMs = Date.now() - started;
    err(
      `Federation up in ${secs(startupMs)} at ${fed.coordinatorUrl}; running ${jobs.length} job(s)\n`
    );
    const results: JobResult[] = [];
    const abTests: {
      jobId: string;
      name: string;
      summary: NonNullable<ReturnType<typeof abTestOf>>;
    }[] = [];
    let model:
      | { jobId: string; file: string | null; epsilonSpentPerNode: Record<string, number> }
      | undefined;
    for (const spec of jobs) {
      const s = opts.testOnlyNoNoise ? { ...spec, noise: 'off-test-only' as const } : spec;
      const t0 = Date.now();
      const jobId = await fed.operator.createJob(s);
      let lastLine = '';
      const final = await fed.operator.waitForJob(jobId, {
        timeoutMs: opts.timeoutMs,
        // Status changes the line does not show (another round's node) print nothing.
        onStatus: (st) => {
          const line = progressLine(st);
          if (line !== lastLine) err(`  ${line}\n`);
          lastLine = line;
        },
      });
      const result = await fed.operator.result(jobId);
      results.push(result);
      err(`  ${final.name}: ${final.status} in ${secs(Date.now() - t0)}\n`);
      const extra: string[] = [];
      const ab = result.status === 'published' ? abTestOf(result) : null;
      if (ab) {
        abTests.push({ jobId, name: result.name, summary: ab });
        extra.push(abTestReport(ab));
      }
      const action = modelFileAction(result, { file: modelFile, partial: opts.partial === true });
      if (action.kind === 'partial' || action.kind === 'skip') {
        if (action.kind === 'partial')
          writeFileSync(action.file, `${JSON.stringify(action.content, null, 2)}\n`);
        err(`  ${action.message}\n`);
      } else if (result.model) {
        // Each train job's model replaces the previous one in the file: the last is kept.
        if (modelFile) writeFileSync(modelFile, `${JSON.stringify(result.model, null, 2)}\n`);
        model = {
          jobId,
          file: modelFile ?? null,
          epsilonSpentPerNode: epsilonSpentPerNode(result),
        };
        extra.push(modelFooter(result, modelFile));
      }
      if (!opts.json) out(`\n${[jobReport(result), ...extra].join('\n')}\n`);
    }
    if (opts.modelOut && !model && !opts.partial)
      throw new Error('--model-out: no train job in this run produced a complete model');
    if (modelFile && model) err(`Model written to ${modelFile}\n`);
    const action = await actionStep(
      { opts, fed, workdir, setups, results, modelFile, writtenModel: model?.file ?? undefined },
      err
    );
    if (action && !opts.json) out(`\n${actionReport(action)}\n`);
    const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
    if (opts.json) {
      const doc = {
        workdir,
        coordinator: fed.coordinatorUrl,
        startupSeconds: Math.round(startupMs / 100) / 10,
        wallSeconds,
        results,
        abTests,
        model: model ?? null,
        action: action ?? null,
      };
      out(`${JSON.stringify(doc, null, 2)}\n`);
    }
    if (opts.out) {
      writeFileSync(
        opts.out,
        `${JSON.stringify({ results, abTests, model: model ?? null }, null, 2)}\n`
      );
      err(`Results written to ${opts.out}\n`);
    }
    err(
      `Finished in ${wallSeconds.toFixed(1)} s: start-up ${secs(startupMs)}, jobs ${secs(Date.now() - started - startupMs)}\n`
    );
    if (opts.serve) {
      // Our own SIGINT handler exits at once; while serving, Ctrl-C is the normal way out.
      process.removeListener('SIGINT', stopOnSignal);
      err(consoleGuide(fed, action?.node));
      await untilInterrupted();
      err('Stopping the federation ...\n');
    }
    return results.every((r) => r.status === 'published') ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    await fed.stop();
    if (!opts.keep && !opts.workdir) rmSync(workdir, { recursive: true, force: true });
    else err(`Kept the federation's directories in ${workdir}\n`);
  }
}

/**
 * The next-best-action and audience step at the first node (action-demo.ts), when it has the
 * synthetic retailer's data and the run writes a model file (its files go beside it): with the
 * model if this run wrote one, with the response rates if a job published them.
 */
async function actionStep(
  run: {
    opts: SimulateOptions;
    fed: LocalFederation;
    workdir: string;
    setups: readonly NodeSetup[];
    results: readonly JobResult[];
    /** Where this run writes a model (the step's files go beside it), if anywhere. */
    modelFile: string | undefined;
    /** The model file this run did write (absent when its train job failed or was not run). */
    writtenModel: string | undefined;
  },
  err: (s: string) => void
): Promise<ActionDemo | undefined> {
  const { opts, fed, workdir, setups, results, modelFile, writtenModel } = run;
  const data = setups[0]?.data;
  const first = fed.nodes.find((n) => n.name === setups[0]?.name);
  const retail = data !== undefined && 'synth' in data && data.synth.profile === 'retail';
  if (!opts.decide || !modelFile || !first || !retail) return undefined;
  const t0 = Date.now();
  err(`Deciding next-best-actions and building an audience at ${first.name} ...\n`);
  const rates = responseRatesOf(results);
  const action = await runActionDemo({
    node: first,
    workdir,
    outDir: dirname(modelFile),
    asOf: opts.asOf,
    ...(writtenModel ? { modelFile: writtenModel } : {}),
    ...(rates ? { rates } : {}),
  });
  err(
    `  ${action.decisions.decisions} decisions and an audience of ${action.audience.count} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`
  );
  return action;
}

/** `fedmark simulate`: the whole federation on this machine, one command (bin/fedmark.mjs routes here). */
export async function run(argv: readonly string[]): Promise<number> {
  const out = (s: string) => void process.stdout.write(s);
  const err = (s: string) => void process.stderr.write(s);
  let exit = 0;
  const program = new Command('fedmark')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });
  program
    .command('simulate')
    .description(
      'run a whole federation on this machine: a coordinator and N nodes as separate processes on loopback with real HTTP,\n' +
        'each node with its own data; runs the jobs, prints the joint results with 95% intervals, then shuts everything down'
    )
    .option(
      '--nodes <n>',
      'number of synthetic nodes (profiles retail, bank, telecom in turn, different sizes)',
      positiveInt,
      3
    )
    .option(
      '--node <name=files>',
      'a node with your own CSV files instead of synthetic data (repeat per node): NAME=customers.csv,events.csv[,touches.csv,consents.csv]; kind from a customers:/events:/touches:/consents: prefix or the file name',
      collect,
      []
    )
    .option(
      '--id-column <column>',
      'with --node ...=table:NAME:file.csv: the customer id column of feature tables',
      'customer_id'
    )
    .option(
      '--lawful-basis <purpose=basis>',
      'with --node: lawful basis for a purpose when there is no consents file, e.g. analytics=contract (repeatable)',
      collect,
      []
    )
    .option(
      '--job <file>',
      'job spec JSON (one spec or an array); default: two-phase RFM, lifecycle x NES, an A/B test per campaign, response rates by channel x time of week and the train template (see fedmark job template)'
    )
    .option(
      '--as-of <date>',
      'reference date of the default jobs (synthetic data covers 2024-01-01..2025-12-31)',
      '2026-01-01'
    )
    .option(
      '--epsilon <e>',
      'epsilon per round at each node for the default RFM and lifecycle jobs (the A/B, response-rate and train jobs carry their own: 2, 0.5 and 1)',
      Number,
      0.5
    )
    .option('--seed <seed>', 'seed of the synthetic data (same seed, same data)', '42')
    .option('--out <file>', 'also write the results as JSON to this file')
    .option(
      '--model-out <file>',
      `write the model a train job produced (self-describing JSON, see docs/models.md); the default run writes ./${DEMO_MODEL_FILE}`
    )
    .option(
      '--partial',
      'with --model-out: if a train job fails, still write its last model, marked "partial": true (default: no file)'
    )
    .option(
      '--workdir <dir>',
      'put the federation in this directory and keep it (default: a temporary directory, removed at the end)'
    )
    .option('--keep', 'keep the temporary directory')
    .option(
      '--serve',
      "after the jobs, keep the federation running and print the web consoles' URLs and login tokens (Ctrl-C stops it)"
    )
    .option(
      '--policy <file>',
      'JSON of node policy fields to set on every node, e.g. {"maxEpsilonPerJob": 4, "minCohort": 5} (docs/privacy.md "Policy"; unnamed fields keep their defaults)'
    )
    .option('--poll-ms <ms>', 'node poll interval', positiveInt, 200)
    .option('--timeout-ms <ms>', 'give up on a job after this long', positiveInt, 180_000)
    .option('--json', 'print the results as one JSON document instead of tables')
    .option('--verbose', 'show every process log line on stderr')
    .option(
      '--overlap',
      "also run an overlap job: how many customers each pair of nodes shares by e-mail (consent for marketing at both), as DP figures with intervals; the nodes opt in (overlap allowed, matching on their customers' email column) — synthetic nodes share customers from one e-mail population (docs/overlap.md)"
    )
    .option(
      '--no-decide',
      `skip the last step: next-best-actions for every customer of the first (retail) node and an audience, written beside the model file (./${DEMO_DECISIONS_FILE}, ./${DEMO_AUDIENCE_FILE}; docs/decide.md "In the demo")`
    )
    .option(
      '--test-only-no-noise',
      'TEST ONLY: run the jobs without DP noise to compare with a pooled computation (nodes are set up to allow it)'
    )
    .addHelpText(
      'after',
      '\nExamples:\n  fedmark simulate\n  fedmark simulate --serve            # then open the printed console URLs in a browser\n  fedmark simulate --nodes 4 --out result.json\n  fedmark simulate --overlap          # also: shared customers of each pair, by e-mail\n  fedmark simulate --node a=a/customers.csv,a/events.csv --node b=... --node c=... --lawful-basis analytics=contract\n' +
        '  fedmark simulate --job train.json --node a=table:churn:a.csv --node b=table:churn:b.csv --node c=table:churn:c.csv \\\n' +
        '      --lawful-basis model_training=contract --model-out model.json\n'
    )
    .action(async (o: SimulateOptions) => {
      exit = await simulate(o, out, err);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' ? 0 : 2;
    err(`fedmark simulate: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
