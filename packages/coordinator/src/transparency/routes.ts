import { Hono } from 'hono';
import Database from 'better-sqlite3';
import { ProtocolError, bytesToHex, proofToHex, signCheckpoint } from '@fedmark/protocol';
import type { CoordinatorOptions, Ctx } from '../context.ts';
import type { Store } from '../store/index.ts';
import { nodeAuth, parseJsonBytes, roleAuth, type NodeAuthVars } from '../nodes/auth.ts';
import { acceptCheckpoint } from './accept.ts';
import { logRootHex, openTransparencyLog, type TransparencyLog } from './log-store.ts';

/** `origin` of the coordinator's own signed log heads. */
export const TRANSPARENCY_LOG_ORIGIN = 'fedmark-coordinator';

export interface TransparencyOptions {
  /**
   * Database holding the transparency log's tables (the coordinator's own database file is the
   * natural home). Absent: an in-memory database per Store, which does NOT survive a restart.
   */
  transparencyDb?: Database.Database;
}

const MEMORY = new WeakMap<Store, Database.Database>();

function dbFor(ctx: Ctx, opts: TransparencyOptions): Database.Database {
  if (opts.transparencyDb) return opts.transparencyDb;
  let db = MEMORY.get(ctx.store);
  if (!db) {
    db = new Database(':memory:');
    MEMORY.set(ctx.store, db);
  }
  return db;
}

const LOGS = new WeakMap<Ctx, TransparencyLog>();

/**
 * The coordinator's transparency log, opened once per coordinator: the API routes and the web
 * console must share one instance, since the Merkle tree lives in memory beside its tables.
 */
export function transparencyLogFor(ctx: Ctx, opts: CoordinatorOptions & TransparencyOptions): TransparencyLog {
  let log = LOGS.get(ctx);
  if (!log) {
    log = openTransparencyLog(dbFor(ctx, opts));
    LOGS.set(ctx, log);
  }
  return log;
}

function sizeParam(value: string | undefined, label: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !/^\d{1,15}$/.test(value)) {
    throw new ProtocolError('BAD_REQUEST', `query parameter "${label}" expected a non-negative integer`);
  }
  return Number(value);
}

function rangeGuard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RangeError) throw new ProtocolError('BAD_REQUEST', err.message);
    throw err;
  }
}

/**
 * The transparency log's routes (docs/audit.md):
 * - nodes (signed requests): POST /v1/node/checkpoints, GET /v1/node/checkpoints/latest;
 * - auditors (operator or auditor token): GET /v1/transparency/head, /proof/inclusion,
 *   /proof/consistency, /nodes/:name/checkpoints, /refusals.
 * Mount before the generic node routes, so this router answers its own /v1/node paths.
 */
export function transparencyRoutes(ctx: Ctx, opts: CoordinatorOptions & TransparencyOptions): Hono {
  const log = transparencyLogFor(ctx, opts);
  const app = new Hono();

  const node = new Hono<NodeAuthVars>();
  // Per route, not '*': a wildcard here would also run (and burn the nonce of) every other
  // /v1/node request before the node routes' own authentication.
  const auth = nodeAuth(ctx);
  node.post('/checkpoints', auth, (c) => c.json(acceptCheckpoint(ctx, log, c.get('node'), parseJsonBytes(c.get('rawBody')))));
  node.get('/checkpoints/latest', auth, (c) => {
    const latest = log.latestFor(c.get('node'));
    return c.json({ version: 1, latest: latest ? { checkpoint: latest.checkpoint, receipt: latest.receipt } : null });
  });
  app.route('/v1/node', node);

  const audit = new Hono();
  audit.use('*', roleAuth(ctx, ['operator', 'auditor']));
  audit.get('/head', (c) => {
    const head = signCheckpoint(
      { version: 1, origin: TRANSPARENCY_LOG_ORIGIN, treeSize: log.tree.size, rootHash: logRootHex(log), timestamp: ctx.iso() },
      ctx.coordinatorKey.secretKey
    );
    return c.json({ version: 1, head, coordinatorKey: bytesToHex(ctx.coordinatorKey.publicKey) });
  });
  audit.get('/proof/inclusion', (c) => {
    const size = sizeParam(c.req.query('size'), 'size', log.tree.size);
    const index = sizeParam(c.req.query('index'), 'index');
    const proof = rangeGuard(() => log.tree.inclusionProof(index, size));
    return c.json({ version: 1, leafIndex: index, treeSize: size, leafHash: bytesToHex(log.tree.leafHash(index)), proof: proofToHex(proof) });
  });
  audit.get('/proof/consistency', (c) => {
    const to = sizeParam(c.req.query('to'), 'to', log.tree.size);
    const from = sizeParam(c.req.query('from'), 'from');
    if (from > to) throw new ProtocolError('BAD_REQUEST', `query parameter "from" (${from}) is larger than "to" (${to})`);
    const proof = rangeGuard(() => log.tree.consistencyProof(from, to));
    return c.json({ version: 1, oldSize: from, newSize: to, proof: proofToHex(proof) });
  });
  audit.get('/nodes/:name/checkpoints', (c) => c.json({ version: 1, checkpoints: log.listFor(c.req.param('name')) }));
  audit.get('/refusals', (c) => {
    const n = c.req.query('node');
    return c.json({ version: 1, refusals: log.refusals(n) });
  });
  app.route('/v1/transparency', audit);
  return app;
}
