import { createRoute, z } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ZodError } from 'zod';
import { HTTP_STATUS, PROTOCOL_VERSION, ProtocolError, errorToWire } from '@fedmark/protocol';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { CoordinatorOptions, Ctx } from './context.ts';
import { heFor } from './aggregation/seal.ts';
import { RoundEngine } from './jobs/rounds.ts';
import { jobRoutes } from './jobs/routes.ts';
import {
  DEFAULT_ADDRESS_RATE_LIMIT,
  DEFAULT_NODE_RATE_LIMIT,
  RateLimiter,
} from './nodes/rate-limit.ts';
import { createMetrics, metricsRoute } from './metrics/metrics.ts';
import { adminRoutes } from './nodes/admin-routes.ts';
import { nodeRoutes } from './nodes/routes.ts';
import { TaskFeed } from './nodes/task-feed.ts';
import { PUBLIC, apiRouter, json, serveOpenApiDocument } from './openapi.ts';
import { transparencyLogFor, transparencyRoutes } from './transparency/index.ts';
import { CONSOLE_BASE, consoleApp, consoleNotFound } from './console/routes.tsx';
import { zodMessage } from './zod-message.ts';

import { MAX_BODY_BYTES } from './body-limit.ts';

export { MAX_BODY_BYTES };

/** Rows per node assumed by the plaintext-range check (see CoordinatorOptions.maxRowsPerNode). */
export const DEFAULT_MAX_ROWS_PER_NODE = 10_000_000;

const HealthSchema = z.object({ ok: z.literal(true), version: z.literal(PROTOCOL_VERSION) });

export interface Coordinator {
  app: Hono;
  engine: RoundEngine;
  ctx: Ctx;
  /** Re-arms timers of every open round from stored deadlines (call once after start). */
  resume(): Promise<void>;
  stop(): void;
}

/** Builds the coordinator's hono app with its single error mapping (STYLE §5). */
export function createCoordinator(opts: CoordinatorOptions): Coordinator {
  const now = opts.now ?? Date.now;
  if (opts.auditorToken !== undefined && opts.auditorToken === opts.operatorToken) {
    throw new RangeError(
      '"auditorToken" must differ from "operatorToken" (each role needs its own token)'
    );
  }
  const ctx: Ctx = {
    store: opts.store,
    coordinatorKey: opts.coordinatorKey,
    operatorToken: opts.operatorToken,
    auditorToken: opts.auditorToken,
    heFor: opts.heFor ?? heFor,
    now,
    iso: () => new Date(now()).toISOString(),
    log: opts.log ?? ((line) => process.stderr.write(`[coordinator] ${line}\n`)),
    maxRowsPerNode: opts.maxRowsPerNode ?? DEFAULT_MAX_ROWS_PER_NODE,
    nodeRateLimiter: new RateLimiter(opts.nodeRateLimit ?? DEFAULT_NODE_RATE_LIMIT, now),
    addressRateLimiter: new RateLimiter(opts.addressRateLimit ?? DEFAULT_ADDRESS_RATE_LIMIT, now),
  };
  const engine = new RoundEngine(ctx, opts.timers ?? true);
  const app = apiRouter();
  const metrics = createMetrics(ctx);
  app.use('*', metrics.middleware);
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(
          errorToWire(
            new ProtocolError('PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`)
          ),
          413
        ),
    })
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      tags: ['meta'],
      summary: 'liveness and protocol version; no credentials',
      security: PUBLIC,
      responses: { 200: json(HealthSchema, 'the coordinator is up') },
    }),
    (c) => c.json({ ok: true as const, version: PROTOCOL_VERSION }, 200)
  );
  metricsRoute(app, ctx, metrics);
  // Generated per request from every route the routers below register (the HTML console is a
  // plain Hono app, so it is not in the document).
  serveOpenApiDocument(app);
  app.route('/v1/admin', adminRoutes(ctx));
  app.route('/v1/jobs', jobRoutes(ctx, engine));
  app.route('/', transparencyRoutes(ctx, opts));
  const feed = new TaskFeed(ctx);
  app.route('/', nodeRoutes(ctx, engine, feed));
  // The web console (HTML, session cookie): every page is added inside consoleApp before mounting.
  const consoleKit = consoleApp({ ctx, engine, log: transparencyLogFor(ctx, opts) });
  app.route(CONSOLE_BASE, consoleKit.app);
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    if (path === CONSOLE_BASE || path.startsWith(`${CONSOLE_BASE}/`))
      return consoleNotFound(consoleKit, c);
    return c.json(
      errorToWire(new ProtocolError('NOT_FOUND', `no route ${c.req.method} ${path}`)),
      404
    );
  });
  app.onError((err, c) => {
    if (err instanceof ProtocolError)
      return c.json(errorToWire(err), HTTP_STATUS[err.code] as ContentfulStatusCode);
    if (err instanceof ZodError)
      return c.json(errorToWire(new ProtocolError('BAD_REQUEST', zodMessage(err))), 400);
    ctx.log(
      `internal error on ${c.req.method} ${new URL(c.req.url).pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      'error'
    );
    return c.text('Internal Server Error', 500);
  });
  return {
    app,
    engine,
    ctx,
    resume: () => engine.tick(),
    stop: () => {
      engine.stop();
      // Held task polls are answered now, so the server can close without waiting them out.
      feed.close();
    },
  };
}
