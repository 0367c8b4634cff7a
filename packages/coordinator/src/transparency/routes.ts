import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import Database from 'better-sqlite3';
import {
  CheckpointRefusalListSchema,
  CheckpointSubmissionResponseSchema,
  CheckpointSubmissionSchema,
  LatestCheckpointResponseSchema,
  NodeCheckpointListSchema,
  ProtocolError,
  TransparencyConsistencySchema,
  TransparencyHeadSchema,
  TransparencyInclusionSchema,
  bytesToHex,
  proofToHex,
  signCheckpoint,
} from '@fedmark/protocol';
import type { CoordinatorOptions, Ctx } from '../context.ts';
import type { Store } from '../store/index.ts';
import { nodeAuth, parseJsonBytes, roleAuth, type NodeAuthVars } from '../nodes/auth.ts';
import {
  NODE_SIGNED,
  OPERATOR_OR_AUDITOR,
  WHY,
  apiRouter,
  errors,
  json,
  jsonBody,
  parsedByHandler,
} from '../openapi.ts';
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
export function transparencyLogFor(
  ctx: Ctx,
  opts: CoordinatorOptions & TransparencyOptions
): TransparencyLog {
  let log = LOGS.get(ctx);
  if (!log) {
    log = openTransparencyLog(dbFor(ctx, opts));
    LOGS.set(ctx, log);
  }
  return log;
}

/** A tree size or leaf index in a query string. */
const SizeSchema = z.string().regex(/^\d{1,15}$/);

function sizeParam(value: string | undefined, label: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !SizeSchema.safeParse(value).success) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `query parameter "${label}" expected a non-negative integer`
    );
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
export function transparencyRoutes(
  ctx: Ctx,
  opts: CoordinatorOptions & TransparencyOptions
): OpenAPIHono {
  const log = transparencyLogFor(ctx, opts);
  const app = apiRouter();

  const node = apiRouter<NodeAuthVars>();
  // Per route, not '*': a wildcard here would also run (and burn the nonce of) every other
  // /v1/node request before the node routes' own authentication.
  const auth = nodeAuth(ctx);
  const submit = createRoute({
    method: 'post',
    path: '/checkpoints',
    operationId: 'submitCheckpoint',
    tags: ['node'],
    summary:
      "Signed ledger checkpoint with a consistency proof from the node's previous one; answers a signed receipt",
    security: NODE_SIGNED,
    middleware: [auth] as const,
    request: jsonBody(
      CheckpointSubmissionSchema,
      'the signed checkpoint and the consistency proof from the size the log holds'
    ),
    responses: {
      200: json(
        CheckpointSubmissionResponseSchema,
        "the coordinator's signed receipt (the original one when the checkpoint is already logged)"
      ),
      ...errors({
        429: WHY.rateLimited,
        400: WHY.body,
        401: `${WHY.signed}; or a checkpoint not signed by the node's admitted key`,
        403: "the checkpoint's origin is not the calling node, or the node is not admitted (FORBIDDEN)",
        409: `the checkpoint does not extend the node's previous one; the refusal is recorded (CONFLICT); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, submit), (c) =>
    c.json(acceptCheckpoint(ctx, log, c.get('node'), parseJsonBytes(c.get('rawBody'))), 200)
  );
  const latest = createRoute({
    method: 'get',
    path: '/checkpoints/latest',
    operationId: 'getLatestCheckpoint',
    tags: ['node'],
    summary: "The calling node's latest logged checkpoint and receipt",
    security: NODE_SIGNED,
    middleware: [auth] as const,
    responses: {
      200: json(LatestCheckpointResponseSchema, 'the latest checkpoint with its receipt, or null'),
      ...errors({
        429: WHY.rateLimited,
        401: WHY.signed,
        409: WHY.replayed,
      }),
    },
  });
  node.openapi(parsedByHandler(node, latest), (c) => {
    const found = log.latestFor(c.get('node'));
    return c.json(
      {
        version: 1 as const,
        latest: found ? { checkpoint: found.checkpoint, receipt: found.receipt } : null,
      },
      200
    );
  });
  app.route('/v1/node', node);

  const audit = apiRouter();
  audit.use('*', roleAuth(ctx, ['operator', 'auditor']));
  // Both roles may read, so a known token is never refused here: 401 is the only auth error.
  const TOKEN = {
    401: 'no bearer token, or one that is neither the operator nor the auditor token (UNAUTHORIZED)',
  } as const;
  const BAD_SIZE = {
    400: 'a size or index that is not a non-negative integer, or outside the log (BAD_REQUEST)',
  } as const;
  const tags = ['transparency'];

  const head = createRoute({
    method: 'get',
    path: '/head',
    operationId: 'getTransparencyHead',
    tags,
    summary: "Signed head of the coordinator's transparency log",
    security: OPERATOR_OR_AUDITOR,
    responses: {
      200: json(
        TransparencyHeadSchema,
        "a freshly signed tree head and the coordinator's public key"
      ),
      ...errors(TOKEN),
    },
  });
  audit.openapi(parsedByHandler(audit, head), (c) => {
    const signed = signCheckpoint(
      {
        version: 1,
        origin: TRANSPARENCY_LOG_ORIGIN,
        treeSize: log.tree.size,
        rootHash: logRootHex(log),
        timestamp: ctx.iso(),
      },
      ctx.coordinatorKey.secretKey
    );
    return c.json(
      {
        version: 1 as const,
        head: signed,
        coordinatorKey: bytesToHex(ctx.coordinatorKey.publicKey),
      },
      200
    );
  });

  const inclusion = createRoute({
    method: 'get',
    path: '/proof/inclusion',
    operationId: 'getTransparencyInclusionProof',
    tags,
    summary: 'RFC 9162 inclusion proof of one log leaf',
    security: OPERATOR_OR_AUDITOR,
    request: {
      query: z.object({
        index: SizeSchema.openapi({ description: 'leaf index' }),
        size: SizeSchema.optional().openapi({
          description: 'tree size the proof is for (default: current size)',
        }),
      }),
    },
    responses: {
      200: json(TransparencyInclusionSchema, 'the inclusion proof'),
      ...errors({ ...BAD_SIZE, ...TOKEN }),
    },
  });
  audit.openapi(parsedByHandler(audit, inclusion), (c) => {
    const size = sizeParam(c.req.query('size'), 'size', log.tree.size);
    const index = sizeParam(c.req.query('index'), 'index');
    const proof = rangeGuard(() => log.tree.inclusionProof(index, size));
    return c.json(
      {
        version: 1 as const,
        leafIndex: index,
        treeSize: size,
        leafHash: bytesToHex(log.tree.leafHash(index)),
        proof: proofToHex(proof),
      },
      200
    );
  });

  const consistency = createRoute({
    method: 'get',
    path: '/proof/consistency',
    operationId: 'getTransparencyConsistencyProof',
    tags,
    summary: 'RFC 9162 consistency proof between two log sizes',
    security: OPERATOR_OR_AUDITOR,
    request: {
      query: z.object({
        from: SizeSchema.openapi({ description: 'older tree size' }),
        to: SizeSchema.optional().openapi({
          description: 'newer tree size (default: current size)',
        }),
      }),
    },
    responses: {
      200: json(TransparencyConsistencySchema, 'the consistency proof'),
      ...errors({ 400: `${BAD_SIZE[400]}; or from larger than to`, ...TOKEN }),
    },
  });
  audit.openapi(parsedByHandler(audit, consistency), (c) => {
    const to = sizeParam(c.req.query('to'), 'to', log.tree.size);
    const from = sizeParam(c.req.query('from'), 'from');
    if (from > to)
      throw new ProtocolError(
        'BAD_REQUEST',
        `query parameter "from" (${from}) is larger than "to" (${to})`
      );
    const proof = rangeGuard(() => log.tree.consistencyProof(from, to));
    return c.json(
      { version: 1 as const, oldSize: from, newSize: to, proof: proofToHex(proof) },
      200
    );
  });

  const checkpoints = createRoute({
    method: 'get',
    path: '/nodes/{name}/checkpoints',
    operationId: 'listNodeCheckpoints',
    tags,
    summary: "A node's logged checkpoints with their receipts",
    security: OPERATOR_OR_AUDITOR,
    request: { params: z.object({ name: z.string().openapi({ description: 'node name' }) }) },
    responses: {
      200: json(NodeCheckpointListSchema, 'in log order; empty for a node that logged none'),
      ...errors(TOKEN),
    },
  });
  audit.openapi(parsedByHandler(audit, checkpoints), (c) =>
    c.json({ version: 1 as const, checkpoints: log.listFor(c.req.param('name')) }, 200)
  );

  const refusals = createRoute({
    method: 'get',
    path: '/refusals',
    operationId: 'listCheckpointRefusals',
    tags,
    summary: 'Checkpoints the log refused as inconsistent, and why',
    security: OPERATOR_OR_AUDITOR,
    request: {
      query: z.object({ node: z.string().optional().openapi({ description: 'only this node' }) }),
    },
    responses: {
      200: json(CheckpointRefusalListSchema, 'the recorded refusals'),
      ...errors(TOKEN),
    },
  });
  audit.openapi(parsedByHandler(audit, refusals), (c) =>
    c.json({ version: 1 as const, refusals: log.refusals(c.req.query('node')) }, 200)
  );
  app.route('/v1/transparency', audit);
  return app;
}
