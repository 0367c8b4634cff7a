import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATUSES, ROUND_STATUSES } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { roleAuth } from '../nodes/auth.ts';
import { OPERATOR_OR_AUDITOR, errors } from '../openapi.ts';

/**
 * Prometheus metrics of the coordinator (docs/operations.md "Monitoring"), with prom-client on a
 * registry of its own per coordinator (tests run many in one process). Requests are counted by
 * method, matched route pattern (never the raw path: ids would make unbounded label sets) and
 * status; jobs, rounds and nodes are read from the store at each scrape. No label ever holds a
 * value, a token or anything a node sent.
 */
export interface CoordinatorMetrics {
  registry: Registry;
  middleware: MiddlewareHandler;
}

/** The route pattern Hono matched for the request (e.g. /v1/jobs/:id), or `unmatched`. */
function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  const matched = c.req.matchedRoutes.filter((r) => r.method !== 'ALL');
  return matched.at(-1)?.path ?? 'unmatched';
}

export function createMetrics(ctx: Ctx): CoordinatorMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'fedmark_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'fedmark_http_request_duration_seconds',
    help: 'Time to answer a request, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'fedmark_jobs',
    help: 'Jobs by status (failed ones also by failure code)',
    labelNames: ['status', 'code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of JOB_STATUSES) this.set({ status: s, code: '' }, 0);
      for (const j of ctx.store.jobs.listJobs())
        this.inc({ status: j.status, code: j.failure?.code ?? '' });
    },
  });
  new Gauge({
    name: 'fedmark_rounds_active',
    help: 'Rounds in progress by phase (setup, open, decrypting)',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of ROUND_STATUSES.filter(
        (x) => x === 'setup' || x === 'open' || x === 'decrypting'
      ))
        this.set({ status: s }, 0);
      for (const r of ctx.store.jobs.activeRounds()) this.inc({ status: r.status });
    },
  });
  new Gauge({
    name: 'fedmark_node_last_seen_age_seconds',
    help: 'Seconds since each admitted node last made a signed request (absent: never)',
    labelNames: ['node'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const now = ctx.now();
      for (const n of ctx.store.nodes.list()) {
        if (n.removedAt === null && n.lastSeenAt)
          this.set({ node: n.name }, (now - Date.parse(n.lastSeenAt)) / 1000);
      }
    },
  });
  new Gauge({
    name: 'fedmark_nodes_admitted',
    help: 'Admitted nodes (members)',
    registers: [registry],
    collect() {
      this.set(ctx.store.nodes.members().length);
    },
  });
  const middleware: MiddlewareHandler = async (c, next) => {
    const end = duration.startTimer();
    await next();
    const route = routeOf(c);
    end({ method: c.req.method, route });
    requests.inc({ method: c.req.method, route, status: String(c.res.status) });
  };
  return { registry, middleware };
}

/** `GET /metrics`: the Prometheus text format, for the operator's or the auditor's token. */
export function metricsRoute(app: OpenAPIHono, ctx: Ctx, metrics: CoordinatorMetrics): void {
  app.use('/metrics', roleAuth(ctx, ['operator', 'auditor']));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      tags: ['meta'],
      summary: 'Prometheus metrics: requests, jobs, rounds, nodes (operator or auditor token)',
      security: OPERATOR_OR_AUDITOR,
      responses: {
        200: {
          description: 'the Prometheus text exposition format (version 0.0.4)',
          content: { 'text/plain': { schema: z.string() } },
        },
        ...errors({
          401: 'no bearer token, or one that is neither the operator nor the auditor token (UNAUTHORIZED)',
        }),
      },
    }),
    async (c) =>
      c.text(await metrics.registry.metrics(), 200, {
        'content-type': metrics.registry.contentType,
      })
  );
}
