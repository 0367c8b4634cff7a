import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coordinatorFetch, type KeyEpoch, type NodePublicKeysFile } from '@fedmark/protocol';
import { OperatorClient } from './operator-client.ts';
import {
  freePort,
  killProcess,
  runFedmark,
  sleep,
  startFedmark,
  stopProcess,
} from './processes.ts';

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
  /**
   * Start each node's agent and API process (default true). A test that must decide exactly when
   * each node polls (dropout tests) prepares the nodes and runs their agents itself.
   */
  startNodes?: boolean;
  /** Lets a test put a capturing proxy between a node and the coordinator. */
  coordinatorUrlFor?: (node: string, url: string) => string;
  /**
   * TEST ONLY: the coordinator serves plain HTTP on loopback (`start --insecure-http`), so a
   * capturing proxy can read what leaves each node. Everything else runs over TLS.
   */
  insecureHttp?: boolean;
  log?: (line: string) => void;
  /** Called as each start-up step finishes (`fedmark simulate` prints these on stderr). */
  onProgress?: (step: StartupStep) => void;
}

/** A finished start-up step: who (`coordinator` or a node name), what, and how long it took. */
export interface StartupStep {
  party: string;
  what: string;
  ms: number;
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
  /** The coordinator's TLS key pin (`coordinator init` prints it); nodes pin it at admission. */
  tlsFingerprint = '';
  /** A fetch to the coordinator: HTTPS to `tlsFingerprint` (or loopback HTTP with insecureHttp). */
  coordinatorFetch: (url: string, init?: RequestInit) => Promise<Response> = (u, i) => fetch(u, i);
  private port = 0;

  constructor(private readonly opts: LocalFederationOptions) {}

  private log(line: string): void {
    this.opts.log?.(line);
  }

  get coordinatorDir(): string {
    return join(this.opts.workdir, 'coordinator');
  }

  /** Runs `step`, then reports it as done by `party` with its duration. */
  private async timed<T>(
    party: string,
    step: () => Promise<T>,
    what: (result: T) => string
  ): Promise<T> {
    const t0 = Date.now();
    const result = await step();
    this.opts.onProgress?.({ party, what: what(result), ms: Date.now() - t0 });
    return result;
  }

  /**
   * Initialises every party, admits the nodes, loads the data and starts all processes. The
   * coordinator starts while the nodes load their data, and each node starts serving as soon as
   * its own import is done (once every node is admitted, so the key epoch it sees has all the
   * members): the key ceremony then overlaps the slowest node's import.
   */
  async start(): Promise<void> {
    mkdirSync(this.opts.workdir, { recursive: true });
    const init = await this.timed(
      'coordinator',
      () => runFedmark(['coordinator', 'init', '--dir', this.coordinatorDir, '--json']),
      () => 'initialised (signing key, operator and auditor tokens, TLS certificate)'
    );
    this.operatorToken = tokenFrom(init.stdout, 'token', 'an operator token');
    this.auditorToken = tokenFrom(init.stdout, 'auditorToken', 'an auditor token');
    const coordinatorKey = tokenFrom(init.stdout, 'coordinatorKey', 'its signing key');
    this.tlsFingerprint = tokenFrom(init.stdout, 'tlsFingerprint', 'its TLS key fingerprint');
    this.port = await freePort();
    const scheme = this.opts.insecureHttp ? 'http' : 'https';
    this.coordinatorUrl = `${scheme}://127.0.0.1:${this.port}`;
    this.coordinatorFetch = coordinatorFetch(
      this.coordinatorUrl,
      this.opts.insecureHttp ? undefined : this.tlsFingerprint
    );
    this.operator = new OperatorClient(
      this.coordinatorUrl,
      this.operatorToken,
      this.coordinatorFetch
    );
    const coordinatorUp = this.timed(
      'coordinator',
      () => this.startCoordinator(),
      () => `listening at ${this.coordinatorUrl}`
    );
    // Awaited once the first node's data is in; until then a failure must not be "unhandled".
    coordinatorUp.catch(() => undefined);
    // Every node initialises at once; one `coordinator admit` then takes them all (one key
    // epoch with every member) while the nodes pin the coordinator and generate and import their
    // data. Each node starts serving once admitted, with its data in and the coordinator up, so
    // the key ceremony overlaps the slowest node's import.
    const inits = this.opts.nodes.map((setup) => this.initNode(setup));
    const admitted = Promise.all(inits).then((nodes) => this.admitAll(nodes));
    // Awaited by every node below; until then a failure must not be "unhandled".
    admitted.catch(() => undefined);
    await Promise.all(
      this.opts.nodes.map(async (setup, i) => {
        const node = await (inits[i] as Promise<LocalNode>);
        // Pinning needs only the coordinator's keys, known since its init: no need to wait.
        await Promise.all([
          admitted,
          this.pinCoordinator(node, coordinatorKey),
          this.loadData(setup, node),
        ]);
        await coordinatorUp;
        if (this.opts.startNodes === false) return;
        await this.timed(
          setup.name,
          async () => {
            this.startNode(node);
            await this.waitForNodeApis(60_000, [node]);
          },
          () => `serving at ${node.apiUrl}, polling the coordinator`
        );
      })
    );
  }

  /** One `coordinator admit` for every node, from public-key files written from their init. */
  private async admitAll(nodes: readonly LocalNode[]): Promise<void> {
    const files = nodes.map((n) => {
      const file = join(this.opts.workdir, `${n.name}.keys.json`);
      const keys: NodePublicKeysFile = {
        version: 1,
        kind: 'fedmark-node-public-keys',
        name: n.name,
        signingKey: n.signingKey,
        boxKey: n.boxKey,
      };
      writeFileSync(file, `${JSON.stringify(keys)}\n`);
      return file;
    });
    await this.timed(
      'coordinator',
      () => runFedmark(['coordinator', 'admit', '--dir', this.coordinatorDir, '--keys', ...files]),
      () => `admitted ${nodes.length} nodes by their public keys (one key epoch)`
    );
  }

  /** The node pins the coordinator's signing and TLS keys, as the operator hands them over. */
  private async pinCoordinator(n: LocalNode, coordinatorKey: string): Promise<void> {
    await this.timed(
      n.name,
      () =>
        runFedmark([
          'node',
          'pin-coordinator',
          '--dir',
          n.dir,
          '--coordinator',
          this.coordinatorUrl,
          '--key',
          coordinatorKey,
          '--tls-fingerprint',
          this.tlsFingerprint,
        ]),
      () => 'pinned the coordinator signing and TLS keys (it checks what the coordinator signs)'
    );
  }

  /**
   * Waits for the key ceremony of the current epoch (docs/federation-protocol.md): the first
   * member generates the BFV keys and seals the secret key to the others, who install it. Jobs
   * can only be created once it is active; `createJob` would wait too, this makes the wait visible.
   */
  async waitForKeys(timeoutMs = 120_000): Promise<KeyEpoch> {
    return this.timed(
      'coordinator',
      async () => {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const epoch = await this.operator.activeKeyEpoch();
          if (epoch) return epoch;
          if (Date.now() > until)
            throw new Error(`the key ceremony did not finish within ${timeoutMs} ms`);
          await sleep(200);
        }
      },
      (e) =>
        `key ceremony done: ${e.generator} generated the HE keys (${e.heParams}), ${e.acked.length} of ${e.members.length} members hold them`
    );
  }

  /** Resolves once every started node (of `nodes`) has printed its API address (so `apiUrl` is set). */
  async waitForNodeApis(
    timeoutMs: number,
    nodes: readonly LocalNode[] = this.nodes
  ): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const waiting = nodes.filter(
        (n) => n.process && n.process.exitCode === null && n.apiUrl === undefined
      );
      if (waiting.length === 0) return;
      if (Date.now() > until)
        throw new Error(
          `nodes did not start their API within ${timeoutMs} ms: ${waiting.map((n) => n.name).join(', ')}`
        );
      await sleep(100);
    }
  }

  /** `fedmark node init`: the node's keys, policy and ledger (its public keys are known now). */
  private async initNode(setup: NodeSetup): Promise<LocalNode> {
    const t0 = Date.now();
    const dir = join(this.opts.workdir, 'nodes', setup.name);
    const init = JSON.parse(
      (
        await runFedmark([
          'node',
          'init',
          '--dir',
          dir,
          '--name',
          setup.name,
          // The demo's nodes accept the coordinator's membership on first use; a changed key
          // for a known member is still refused (docs/federation-protocol.md "Key ceremony").
          '--members',
          'auto',
          '--json',
        ])
      ).stdout
    ) as {
      signingKey: string;
      boxKey: string;
    };
    const node: LocalNode = {
      name: setup.name,
      dir,
      signingKey: init.signingKey,
      boxKey: init.boxKey,
      process: undefined,
      apiUrl: undefined,
    };
    this.nodes.push(node);
    this.opts.onProgress?.({
      party: setup.name,
      what: 'initialised (signing and box keys, policy, ledger)',
      ms: Date.now() - t0,
    });
    return node;
  }

  /** The node's policy patch, if any, then its data: generated or given files, one import call. */
  private async loadData(setup: NodeSetup, node: LocalNode): Promise<void> {
    const dir = node.dir;
    if (this.opts.allowNoiseOff || this.opts.policyPatch) {
      // Through `fedmark node policy set`, so the change is validated and recorded in the ledger.
      const policy = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      const patched = {
        ...policy,
        ...this.opts.policyPatch,
        ...(this.opts.allowNoiseOff ? { testOnlyAllowNoiseOff: true } : {}),
      };
      const file = join(this.opts.workdir, `${setup.name}-policy.json`);
      writeFileSync(file, JSON.stringify(patched, null, 2));
      await runFedmark(['node', 'policy', 'set', '--dir', dir, '--file', file]);
    }
    const files = await this.dataFiles(setup, dir);
    // One `node import` for all of a node's files (each its own transaction, customers first),
    // which saves a process start per file; feature tables with different id columns need one
    // call each, as --id-column applies to every table of a call.
    const tableIds = new Set(
      files.files.flatMap((f) => (f.kind === 'table' ? [f.idColumn ?? ''] : []))
    );
    const calls = tableIds.size <= 1 ? [files.files] : files.files.map((f) => [f]);
    for (const call of calls) {
      const idColumn = call.flatMap((f) =>
        f.kind === 'table' && f.idColumn ? [f.idColumn] : []
      )[0];
      await this.timed(
        setup.name,
        () =>
          runFedmark([
            'node',
            'import',
            '--dir',
            dir,
            ...call.map((f) =>
              f.kind === 'table' ? `table:${f.table}:${f.path}` : `${f.kind}:${f.path}`
            ),
            ...(idColumn ? ['--id-column', idColumn] : []),
            ...files.lawfulBasis.flatMap((b) => ['--lawful-basis', b]),
            '--json',
          ]),
        (r) => `imported ${importedFiles(r.stdout)}`
      );
    }
    this.log(
      `${setup.name}: initialised and imported ${files.files.map((f) => f.kind).join(', ')}`
    );
  }

  private async dataFiles(
    setup: NodeSetup,
    dir: string
  ): Promise<{ files: DataFile[]; lawfulBasis: string[] }> {
    if ('files' in setup.data) return setup.data;
    const out = join(dir, 'synthetic-data');
    const s = setup.data.synth;
    await this.timed(
      setup.name,
      () =>
        runFedmark([
          'node',
          'synth',
          '--dir',
          out,
          '--profile',
          s.profile,
          '--customers',
          String(s.customers),
          '--seed',
          s.seed,
          '--json',
        ]),
      () => `generated ${s.customers} synthetic ${s.profile} customers (seed ${s.seed})`
    );
    const kinds = ['customers', 'events', 'touches', 'consents'] as const;
    // The consents file carries each customer's model_training consent, so the churn feature
    // table (docs/node-data.md) needs no lawful basis of its own.
    const churn: DataFile = { kind: 'table', table: 'churn', path: join(out, 'churn.csv') };
    return {
      files: [...kinds.map((kind) => ({ kind, path: join(out, `${kind}.csv`) })), churn],
      lawfulBasis: [],
    };
  }

  async startCoordinator(): Promise<void> {
    this.coordinator = startFedmark(
      [
        'coordinator',
        'start',
        '--dir',
        this.coordinatorDir,
        '--port',
        String(this.port),
        '--host',
        '127.0.0.1',
        ...(this.opts.insecureHttp ? ['--insecure-http'] : []),
      ],
      (l) => this.log(`coordinator | ${l}`)
    );
    await waitForHealth(this.coordinatorUrl, this.coordinatorFetch, 30_000);
  }

  startNode(node: LocalNode): void {
    const url =
      this.opts.coordinatorUrlFor?.(node.name, this.coordinatorUrl) ?? this.coordinatorUrl;
    const recent: string[] = [];
    const child = startFedmark(
      [
        'node',
        'serve',
        '--dir',
        node.dir,
        '--port',
        '0',
        '--coordinator',
        url,
        '--poll-ms',
        String(this.opts.pollMs ?? 200),
      ],
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
        process.stderr.write(
          `fedmark simulate: node ${node.name} exited with code ${code}: ${recent.join(' | ')}\n`
        );
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
    await Promise.all(
      this.nodes.map((n) => (n.process ? stopProcess(n.process) : Promise.resolve()))
    );
    if (this.coordinator) await stopProcess(this.coordinator);
  }
}

/** Rows an import read, from `node import --json` (`rowsRead`), as text for a progress line. */
/** `customers (20000 rows), events (245524 rows), ...` from `node import --json` (one file or several). */
function importedFiles(stdout: string): string {
  try {
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    const reports = (Array.isArray(doc['imports']) ? doc['imports'] : [doc]) as {
      kind?: string;
      table?: string;
      rowsRead?: number;
    }[];
    return reports
      .map(
        (x) =>
          `${x.kind === 'table' ? `feature table ${x.table}` : x.kind} (${x.rowsRead ?? '?'} rows)`
      )
      .join(', ');
  } catch {
    return 'the data (report unreadable)';
  }
}

/** `fedmark coordinator init --json` prints each token once, the signing key and the TLS pin (fields `token`, `auditorToken`, `coordinatorKey`, `tlsFingerprint`). */
function tokenFrom(stdout: string, field: string, what: string): string {
  const token = (JSON.parse(stdout) as Record<string, unknown>)[field];
  if (typeof token !== 'string' || token.length < 16)
    throw new Error(`coordinator init did not print ${what} (field "${field}")`);
  return token;
}

async function waitForHealth(
  baseUrl: string,
  doFetch: (url: string) => Promise<Response>,
  timeoutMs: number
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await doFetch(new URL('/health', baseUrl).href);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until)
      throw new Error(`coordinator at ${baseUrl} did not become healthy within ${timeoutMs} ms`);
    await sleep(100);
  }
}
