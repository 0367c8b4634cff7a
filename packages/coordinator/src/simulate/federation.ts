import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperatorClient } from './operator-client.ts';
import { freePort, killProcess, runFedmark, sleep, startFedmark, stopProcess } from './processes.ts';

/** Where a node's data comes from: generated (seeded synthetic profile) or the user's CSV files. */
export type NodeData =
  | { synth: { profile: 'retail' | 'bank' | 'telecom'; customers: number; seed: string } }
  | { files: DataFile[]; lawfulBasis: string[] };

/** One CSV to import; a `table` file is a generic feature table (`--table`, `--id-column`). */
export type DataFile =
  | { kind: 'customers' | 'events' | 'touches' | 'consents'; path: string }
  | { kind: 'table'; path: string; table: string; idColumn?: string };

export interface NodeSetup {
  name: string;
  data: NodeData;
}

export interface LocalFederationOptions {
  workdir: string;
  nodes: NodeSetup[];
  pollMs?: number;
  /** TEST ONLY: writes node policies that allow `noise: off-test-only` jobs (exactness checks). */
  allowNoiseOff?: boolean;
  /** Fields merged into every node's policy before it starts (benchmarks raise the budgets). */
  policyPatch?: Record<string, unknown>;
  /** Lets a test put a capturing proxy between a node and the coordinator. */
  coordinatorUrlFor?: (node: string, url: string) => string;
  log?: (line: string) => void;
}

export interface LocalNode {
  name: string;
  dir: string;
  signingKey: string;
  boxKey: string;
  process: ChildProcess | undefined;
  /** The node's local API and console (`node serve --port 0` picks a free port and prints it). */
  apiUrl: string | undefined;
}

/** The line `fedmark node serve` prints once its API listens. */
const NODE_API_LINE = /API listening on (http:\/\/\S+)/;

/**
 * A coordinator and N nodes as separate processes on loopback, talking real HTTP, each with its
 * own directory (NVIDIA FLARE's POC mode and Flower's simulation are the models). Used by
 * `fedmark simulate` and by the end-to-end tests.
 */
export class LocalFederation {
  readonly nodes: LocalNode[] = [];
  coordinator: ChildProcess | undefined;
  coordinatorUrl = '';
  operator!: OperatorClient;
  /** The operator's bearer token (`coordinator init` prints it once): API and console login. */
  operatorToken = '';
  /** The auditor's bearer token: transparency log endpoints and the console's Transparency page. */
  auditorToken = '';
  private port = 0;

  constructor(private readonly opts: LocalFederationOptions) {}

  private log(line: string): void {
    this.opts.log?.(line);
  }

  get coordinatorDir(): string {
    return join(this.opts.workdir, 'coordinator');
  }

  /** Initialises every party, loads the data, admits the nodes and starts all processes. */
  async start(): Promise<void> {
    mkdirSync(this.opts.workdir, { recursive: true });
    const init = await runFedmark(['coordinator', 'init', '--dir', this.coordinatorDir, '--json']);
    this.operatorToken = tokenFrom(init.stdout, 'token', 'an operator');
    this.auditorToken = tokenFrom(init.stdout, 'auditorToken', 'an auditor');
    this.port = await freePort();
    this.coordinatorUrl = `http://127.0.0.1:${this.port}`;
    this.operator = new OperatorClient(this.coordinatorUrl, this.operatorToken);
    await Promise.all(this.opts.nodes.map((n) => this.prepareNode(n)));
    for (const n of this.nodes) {
      await runFedmark(['coordinator', 'admit', '--dir', this.coordinatorDir, '--name', n.name, '--signing-key', n.signingKey, '--box-key', n.boxKey]);
    }
    await this.startCoordinator();
    for (const n of this.nodes) this.startNode(n);
    await this.waitForNodeApis(60_000);
  }

  /** Resolves once every started node has printed its API address (so `apiUrl` is set). */
  async waitForNodeApis(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const waiting = this.nodes.filter((n) => n.process && n.process.exitCode === null && n.apiUrl === undefined);
      if (waiting.length === 0) return;
      if (Date.now() > until) throw new Error(`nodes did not start their API within ${timeoutMs} ms: ${waiting.map((n) => n.name).join(', ')}`);
      await sleep(100);
    }
  }

  private async prepareNode(setup: NodeSetup): Promise<void> {
    const dir = join(this.opts.workdir, 'nodes', setup.name);
    const init = JSON.parse((await runFedmark(['node', 'init', '--dir', dir, '--name', setup.name, '--json'])).stdout) as {
      signingKey: string;
      boxKey: string;
    };
    const node: LocalNode = { name: setup.name, dir, signingKey: init.signingKey, boxKey: init.boxKey, process: undefined, apiUrl: undefined };
    this.nodes.push(node);
    if (this.opts.allowNoiseOff || this.opts.policyPatch) {
      // Through `fedmark node policy set`, so the change is validated and recorded in the ledger.
      const policy = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')) as Record<string, unknown>;
      const patched = { ...policy, ...this.opts.policyPatch, ...(this.opts.allowNoiseOff ? { testOnlyAllowNoiseOff: true } : {}) };
      const file = join(this.opts.workdir, `${setup.name}-policy.json`);
      writeFileSync(file, JSON.stringify(patched, null, 2));
      await runFedmark(['node', 'policy', 'set', '--dir', dir, '--file', file]);
    }
    const files = await this.dataFiles(setup, dir);
    for (const f of files.files) {
      const basis = f.kind === 'consents' ? [] : files.lawfulBasis.flatMap((b) => ['--lawful-basis', b]);
      const table = f.kind === 'table' ? ['--table', f.table, ...(f.idColumn ? ['--id-column', f.idColumn] : [])] : [];
      await runFedmark(['node', 'import', '--dir', dir, '--kind', f.kind, ...table, f.path, ...basis, '--json']);
    }
    this.log(`${setup.name}: initialised and imported ${files.files.map((f) => f.kind).join(', ')}`);
  }

  private async dataFiles(setup: NodeSetup, dir: string): Promise<{ files: DataFile[]; lawfulBasis: string[] }> {
    if ('files' in setup.data) return setup.data;
    const out = join(dir, 'synthetic-data');
    const s = setup.data.synth;
    await runFedmark(['node', 'synth', '--dir', out, '--profile', s.profile, '--customers', String(s.customers), '--seed', s.seed, '--json']);
    const kinds = ['customers', 'events', 'touches', 'consents'] as const;
    return { files: kinds.map((kind) => ({ kind, path: join(out, `${kind}.csv`) })), lawfulBasis: [] };
  }

  async startCoordinator(): Promise<void> {
    this.coordinator = startFedmark(
      ['coordinator', 'start', '--dir', this.coordinatorDir, '--port', String(this.port), '--host', '127.0.0.1'],
      (l) => this.log(`coordinator | ${l}`)
    );
    await waitForHealth(this.coordinatorUrl, 30_000);
  }

  startNode(node: LocalNode): void {
    const url = this.opts.coordinatorUrlFor?.(node.name, this.coordinatorUrl) ?? this.coordinatorUrl;
    const recent: string[] = [];
    const child = startFedmark(
      ['node', 'serve', '--dir', node.dir, '--port', '0', '--coordinator', url, '--poll-ms', String(this.opts.pollMs ?? 200)],
      (l) => {
        const api = NODE_API_LINE.exec(l);
        if (api) node.apiUrl = api[1];
        recent.push(l);
        if (recent.length > 5) recent.shift();
        this.log(`${node.name} | ${l}`);
      }
    );
    node.process = child;
    // A node that dies on its own (bad option, crash) would otherwise only show as a job that
    // never completes: say so at once, with its last words. Kills by the harness are signals.
    child.once('exit', (code, signal) => {
      if (signal === null && code !== 0) {
        process.stderr.write(`fedmark simulate: node ${node.name} exited with code ${code}: ${recent.join(' | ')}\n`);
      }
    });
  }

  node(name: string): LocalNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new RangeError(`no node named ${name}`);
    return n;
  }

  /** SIGKILL the coordinator (fault tests), then `restartCoordinator()` on the same directory. */
  async killCoordinator(): Promise<void> {
    if (this.coordinator) await killProcess(this.coordinator);
  }

  async restartCoordinator(): Promise<void> {
    await this.startCoordinator();
  }

  async killNode(name: string): Promise<void> {
    const n = this.node(name);
    if (n.process) await killProcess(n.process);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.process ? stopProcess(n.process) : Promise.resolve())));
    if (this.coordinator) await stopProcess(this.coordinator);
  }
}

/** `fedmark coordinator init --json` prints each token once (fields `token`, `auditorToken`); take it from there. */
function tokenFrom(stdout: string, field: string, what: string): string {
  const token = (JSON.parse(stdout) as Record<string, unknown>)[field];
  if (typeof token !== 'string' || token.length < 16) throw new Error(`coordinator init did not print ${what} token (field "${field}")`);
  return token;
}

async function waitForHealth(baseUrl: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(new URL('/health', baseUrl));
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`coordinator at ${baseUrl} did not become healthy within ${timeoutMs} ms`);
    await sleep(100);
  }
}
