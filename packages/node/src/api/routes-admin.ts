import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { grantConsent, revokeConsent } from '../consent/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { requireAdmin, type ApiEnv } from './auth.ts';
import type { NodeAppOptions } from './app.ts';
import { runLocalStats } from './local-stats.ts';
import { ADMIN_ERRORS, SECURITY } from './_responses.ts';
import { ConsentBodySchema, ConsentResultSchema, ErasureBodySchema, ErasureResultSchema, SegmentQueryBodySchema, StatsResultSchema } from './schemas.ts';

const json = <T>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const body = <T>(schema: T, description: string) => ({ body: { ...json(schema, description), required: true } });

/** Admin-only routes: statistics (charges the budget), consent changes, erasures. */
export function registerAdminRoutes(app: OpenAPIHono<ApiEnv>, o: NodeAppOptions): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/stats',
      summary: 'run a segment-statistics query locally through the release path (noise, k, budget, ledger)',
      security: SECURITY,
      middleware: [requireAdmin] as const,
      request: body(SegmentQueryBodySchema, 'a SegmentQuery'),
      responses: { 200: json(StatsResultSchema, 'noisy per-cell figures with 95% intervals'), ...ADMIN_ERRORS },
    }),
    (c) => {
      const r = runLocalStats(o, c.req.valid('json'));
      return c.json({ ...r, values: r.values.map(String) }, 200);
    }
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/consents',
      summary: "grant or revoke a customer's consent for a purpose, effective now",
      security: SECURITY,
      middleware: [requireAdmin] as const,
      request: body(ConsentBodySchema, 'the consent change'),
      responses: { 200: json(ConsentResultSchema, 'the ledger entry (subject = pseudonym)'), ...ADMIN_ERRORS },
    }),
    (c) => {
      const b = c.req.valid('json');
      const input = { customerId: b.customerId, purpose: b.purpose, source: b.source };
      const r = b.status === 'granted' ? grantConsent(o.db, o.identity, input) : revokeConsent(o.db, o.identity, input);
      return c.json({ recorded: r.recorded, pseudonym: r.pseudonym, entry: r.entry }, 200);
    }
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/erasures',
      summary: 'right to erasure: delete every raw row about a customer; the ledger keeps a pseudonymous tombstone',
      security: SECURITY,
      middleware: [requireAdmin] as const,
      request: body(ErasureBodySchema, 'the customer to erase'),
      responses: { 200: json(ErasureResultSchema, 'pseudonym and rows deleted'), ...ADMIN_ERRORS },
    }),
    (c) => {
      const b = c.req.valid('json');
      const r = eraseCustomer(o.db, o.identity, b.customerId, b.reason === undefined ? {} : { reason: b.reason });
      return c.json({ pseudonym: r.pseudonym, rowsDeleted: r.rowsDeleted }, 200);
    }
  );
}
