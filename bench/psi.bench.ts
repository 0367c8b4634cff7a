/**
 * Cost of PSI cardinality on curve25519 (docs/psi.md "Speed"), in one run:
 *
 * - per point, on PSI_BENCH_POINTS synthetic e-mail keys (default 1000): hashing a key
 *   (RFC 9380 hash_to_curve, @noble/curves), checking a received point (_u-coordinate.ts),
 *   blinding (psiInitiatorRequest: check, X25519 through node:crypto, shuffle), and a whole
 *   two-party run; beside them the floor, node:crypto X25519 of one fixed key, with the public
 *   key object built from a JWK or from DER, and with prebuilt key objects (the ladder alone);
 * - end to end, PSI_BENCH_E2E keys a side (default 100,000, half of them shared; 0 skips it):
 *   each node runs in its own child process, so its time, CPU and peak memory are its own, and
 *   the messages cross between them as bytes. Both hash as a node does (overlap/parallel-hash.ts),
 *   on PSI_BENCH_THREADS worker threads (default 2, one per core here; 1 hashes inline).
 *
 * The machine is shared: the load average at start and end is recorded with the figures.
 */
import { fork } from 'node:child_process';
import { type KeyObject, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  type PsiReply,
  PsiSecret,
  hashMatchingKeys,
  isValidPsiPoint,
  psiInitiatorCount,
  psiInitiatorRequest,
  psiResponderReply,
} from '../packages/protocol/src/index.ts';
import { hashMatchingKeysInParallel } from '../packages/node/src/overlap/parallel-hash.ts';

const POINTS = Number(process.env['PSI_BENCH_POINTS'] ?? 1000);
const E2E = Number(process.env['PSI_BENCH_E2E'] ?? 100_000);
const THREADS = Number(process.env['PSI_BENCH_THREADS'] ?? 2);
const FED = 'fed-bench';
const MiB = 2 ** 20;
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex'); // RFC 8410 §4

/** A side's keys: the first `shared` are common to both sides, the rest are its own. */
function keysOf(side: string, n: number, shared: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    i < shared ? `customer-${i}@example.org` : `${side}-${i}@example.org`
  );
}

function medianOf5(fn: () => void): number {
  const runs: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return runs.sort((x, y) => x - y)[2] as number;
}

function chunks(packed: Uint8Array): Uint8Array[] {
  return Array.from({ length: packed.length / 32 }, (_, i) => packed.subarray(32 * i, 32 * i + 32));
}

/** node:crypto X25519 of one fixed key over `points`, three ways of handing it each point. */
function x25519Floor(points: Uint8Array[]): Record<string, number> {
  const privateKey = generateKeyPairSync('x25519').privateKey;
  const jwk = (p: Uint8Array) =>
    createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(p).toString('base64url') },
      format: 'jwk',
    });
  const der = (p: Uint8Array) =>
    createPublicKey({ key: Buffer.concat([SPKI_X25519, p]), format: 'der', type: 'spki' });
  const prebuilt: KeyObject[] = points.map(jwk);
  const n = points.length;
  return {
    jwkKeyPlusDhMsPerPoint:
      medianOf5(() => {
        for (const p of points) diffieHellman({ privateKey, publicKey: jwk(p) });
      }) / n,
    spkiDerKeyPlusDhMsPerPoint:
      medianOf5(() => {
        for (const p of points) diffieHellman({ privateKey, publicKey: der(p) });
      }) / n,
    dhOnlyPrebuiltKeysMsPerPoint:
      medianOf5(() => {
        for (const publicKey of prebuilt) diffieHellman({ privateKey, publicKey });
      }) / n,
  };
}

function perPoint(): Record<string, unknown> {
  const keys = keysOf('a', POINTS, POINTS / 2);
  const other = keysOf('b', POINTS, POINTS / 2);
  const hashMs = medianOf5(() => hashMatchingKeys(FED, 'email', keys)) / POINTS;
  const own = hashMatchingKeys(FED, 'email', keys);
  const theirs = hashMatchingKeys(FED, 'email', other);
  const points = chunks(own);
  const checkMs =
    medianOf5(() => {
      for (const p of points) if (!isValidPsiPoint(p)) throw new Error('invalid point');
    }) / POINTS;
  const a = PsiSecret.random();
  const b = PsiSecret.random();
  const blindMs = medianOf5(() => psiInitiatorRequest({ secret: a, ownPoints: own })) / POINTS;
  // One whole run on hashed points, checked: half of the keys are shared.
  let count = -1;
  const wholeMs = medianOf5(() => {
    const request = psiInitiatorRequest({ secret: a, ownPoints: own });
    const reply = psiResponderReply({ secret: b, request, ownPoints: theirs });
    count = psiInitiatorCount({ secret: a, requestSize: POINTS, reply }).intersectionSize;
  });
  if (count !== POINTS / 2) throw new Error(`PSI counted ${count}`);
  a.destroy();
  b.destroy();
  const floor = x25519Floor(points);
  return {
    points: POINTS,
    hashToCurveMsPerKey: hashMs,
    checkReceivedPointMsPerPoint: checkMs,
    blindMsPerPoint: blindMs,
    // Three X25519 steps (A blinds X, B blinds the request and Y), three checks of a set, two
    // shuffles; per point of one side (|X| = |Y|), hashing excluded.
    wholeRunMsPerPoint: wholeMs / POINTS,
    wholeRunWithHashingMsPerPoint: wholeMs / POINTS + 2 * hashMs,
    nodeCryptoX25519FixedKey: floor,
  };
}

// ---- end to end: one child process per node ----

type Step = { wallMs: number; cpuMs: number; liveAfterMiB?: number };
type NodeReport = {
  steps: Record<string, Step>;
  hashThreads: number;
  rssAtStartMiB: number;
  liveAtStartMiB: number;
  peakRssMiB: number;
};
type ToNode =
  | { op: 'request'; n: number; shared: number; hashThreads: number }
  | { op: 'reply'; n: number; shared: number; hashThreads: number; request: Uint8Array }
  | { op: 'count'; reply: PsiReply; requestSize: number };

/**
 * What the process still holds (V8 heap and buffers) after a full collection. The children run
 * with --expose-gc for this one reading, taken after a step's clock has stopped; peak RSS, which
 * also counts garbage V8 has not yet collected, is reported beside it.
 */
function liveMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / MiB;
}

function timed<T>(steps: Record<string, Step>, name: string, fn: () => T): T {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const c = process.cpuUsage(c0);
  steps[name] = { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  return out;
}

async function timedAsync<T>(
  steps: Record<string, Step>,
  name: string,
  fn: () => Promise<T>
): Promise<T> {
  const c0 = process.cpuUsage(); // the process's, so it includes the worker threads
  const t0 = performance.now();
  const out = await fn();
  const c = process.cpuUsage(c0);
  steps[name] = { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  return out;
}

/** Hashes as a node does (overlap/parallel-hash.ts): on `threads` worker threads, or inline for 1. */
function hashOn(threads: number, keys: string[]): Promise<Uint8Array> {
  return hashMatchingKeysInParallel(FED, 'email', keys, { threads, minKeys: 0 });
}

/** A node's side of the run, driven by messages from the parent over IPC. */
async function serveNode(role: string): Promise<void> {
  const steps: Record<string, Step> = {};
  const liveAtStart = liveMiB();
  const rssAtStart = process.memoryUsage().rss;
  let hashThreads = 1;
  const secret = PsiSecret.random();
  const report = (): NodeReport => ({
    steps,
    hashThreads,
    rssAtStartMiB: rssAtStart / MiB,
    liveAtStartMiB: liveAtStart,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
  });
  // `held` stays reachable until the reading, so it counts what the node holds after the step.
  const afterStep = (name: string, ...held: unknown[]) => {
    (steps[name] as Step).liveAfterMiB = liveMiB();
    return held.length;
  };
  process.on('message', async (msg: ToNode) => {
    if (msg.op === 'request') {
      hashThreads = msg.hashThreads;
      const keys = keysOf(role, msg.n, msg.shared);
      const own = await timedAsync(steps, 'hash', () => hashOn(hashThreads, keys));
      afterStep('hash', keys, own);
      const request = timed(steps, 'blindOwn', () =>
        psiInitiatorRequest({ secret, ownPoints: own })
      );
      afterStep('blindOwn', keys, own, request);
      process.send?.({ request, report: report() });
    } else if (msg.op === 'reply') {
      hashThreads = msg.hashThreads;
      const keys = keysOf(role, msg.n, msg.shared);
      const own = await timedAsync(steps, 'hash', () => hashOn(hashThreads, keys));
      afterStep('hash', keys, own, msg.request);
      const reply = timed(steps, 'reply', () =>
        psiResponderReply({ secret, request: msg.request, ownPoints: own })
      );
      afterStep('reply', keys, own, msg.request, reply);
      secret.destroy();
      process.send?.({ reply, report: report() }, () => process.exit(0));
    } else {
      const result = timed(steps, 'count', () =>
        psiInitiatorCount({ secret, requestSize: msg.requestSize, reply: msg.reply })
      );
      afterStep('count', msg.reply);
      secret.destroy();
      process.send?.({ result, report: report() }, () => process.exit(0));
    }
  });
}

function spawnNode(role: string) {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, PSI_BENCH_ROLE: role },
    serialization: 'advanced', // Uint8Array messages travel as bytes, not JSON
  });
  const ask = <T>(msg: ToNode): Promise<T> =>
    new Promise((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('error', reject);
      child.send(msg);
    });
  return { ask };
}

const sumSteps = (r: NodeReport) =>
  Object.values(r.steps).reduce(
    (s, x) => ({ wallMs: s.wallMs + x.wallMs, cpuMs: s.cpuMs + x.cpuMs }),
    { wallMs: 0, cpuMs: 0 }
  );

async function endToEnd(n: number): Promise<Record<string, unknown>> {
  const shared = Math.floor(n / 2);
  const a = spawnNode('a');
  const b = spawnNode('b');
  // One step at a time, so the nodes never compete for the two cores.
  const { request } = await a.ask<{ request: Uint8Array }>({
    op: 'request',
    n,
    shared,
    hashThreads: THREADS,
  });
  const fromB = await b.ask<{ reply: PsiReply; report: NodeReport }>({
    op: 'reply',
    n,
    shared,
    hashThreads: THREADS,
    request,
  });
  const fromA = await a.ask<{
    result: { intersectionSize: number };
    report: NodeReport;
  }>({ op: 'count', reply: fromB.reply, requestSize: n });
  if (fromA.result.intersectionSize !== shared) {
    throw new Error(`PSI counted ${fromA.result.intersectionSize}, expected ${shared}`);
  }
  const node = (r: NodeReport) => {
    const total = sumSteps(r);
    const hash = r.steps['hash'] as Step;
    return {
      ...r,
      totalWallSeconds: total.wallMs / 1000,
      totalCpuSeconds: total.cpuMs / 1000,
      withoutHashingWallSeconds: (total.wallMs - hash.wallMs) / 1000,
      hashMsPerKey: hash.wallMs / n,
      peakRssAboveStartMiB: r.peakRssMiB - r.rssAtStartMiB,
      liveAboveStartMaxMiB:
        Math.max(...Object.values(r.steps).map((x) => x.liveAfterMiB ?? 0)) - r.liveAtStartMiB,
    };
  };
  return {
    keysPerSide: n,
    shared,
    intersectionSize: fromA.result.intersectionSize,
    wireBytes: {
      request: request.length,
      reply: fromB.reply.doubleBlinded.length + fromB.reply.responderBlinded.length,
    },
    initiator: node(fromA.report),
    responder: node(fromB.report),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const loadAtStart = loadavg()[0];
  const figures: Record<string, unknown> = { perPoint: perPoint() };
  if (E2E > 0) figures['endToEnd'] = await endToEnd(E2E);
  return { ...figures, loadAverage1m: { atStart: loadAtStart, atEnd: loadavg()[0] } };
}

// Entry point of the child processes this bench starts (never of run.ts).
if (process.env['PSI_BENCH_ROLE'] !== undefined) await serveNode(process.env['PSI_BENCH_ROLE']);
