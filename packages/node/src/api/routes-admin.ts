import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { grantConsent, revokeConsent } from '../consent/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { requireAdmin, type ApiEnv } from './auth.ts';
import type { NodeAppOptions } from './app.ts';
import { runLocalStats } from './local-stats.ts';
import { BEARER, WHY, errors, json, jsonBody } from './_responses.ts';
import {
  ConsentBodySchema,
  ConsentResultSchema,
  ErasureBodySchema,
  ErasureResultSchema,
  SegmentQueryBodySchema,
  StatsResultSchema,
} from './schemas.ts';

/** Admin-only routes: statistics (charges the budget), consent changes, erasures. */
export function registerAdminRoutes(app: OpenAPIHono<ApiEnv>, o: NodeAppOptions): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/stats',
      operationId: 'runStats',
      tags: ['admin'],
      summary:
        'run a segment-statistics query locally through the release path (noise, k, budget, ledger)',
      security: BEARER,
      middleware: [requireAdmin] as const,
      request: jsonBody(SegmentQueryBodySchema, 'a SegmentQuery'),
      responses: {
        200: json(StatsResultSchema, 'noisy per-cell figures with 95% intervals'),
        ...errors({
          400: `${WHY.body}; or policy.json is invalid`,
          401: WHY.token,
          403: `${WHY.admin}; the node policy refused the query (POLICY_REFUSED); or the privacy budget is spent (BUDGET_EXCEEDED)`,
          404: WHY.noPolicy,
          413: WHY.tooLarge,
        }),
      },
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
      operationId: 'changeConsent',
      tags: ['admin'],
      summary: "grant or revoke a customer's consent for a purpose, effective now",
      security: BEARER,
      middleware: [requireAdmin] as const,
      request: jsonBody(ConsentBodySchema, 'the consent change'),
      responses: {
        200: json(ConsentResultSchema, 'the ledger entry (subject = pseudonym)'),
        ...errors({
          400: WHY.body,
          401: WHY.token,
          403: WHY.admin,
          409: 'the customer was erased; no data about them is accepted again (CONFLICT)',
          413: WHY.tooLarge,
        }),
      },
    }),
    (c) => {
      const b = c.req.valid('json');
      const input = { customerId: b.customerId, purpose: b.purpose, source: b.source };
      const r =
        b.status === 'granted'
          ? grantConsent(o.db, o.identity, input)
          : revokeConsent(o.db, o.identity, input);
      return c.json({ recorded: r.recorded, pseudonym: r.pseudonym, entry: r.entry }, 200);
    }
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/erasures',
      operationId: 'eraseCustomer',
      tags: ['admin'],
      summary:
        'right to erasure: delete every raw row about a customer; the ledger keeps a pseudonymous tombstone',
      security: BEARER,
      middleware: [requireAdmin] as const,
      request: jsonBody(ErasureBodySchema, 'the customer to erase'),
      responses: {
        200: json(ErasureResultSchema, 'pseudonym and rows deleted'),
        ...errors({ 400: WHY.body, 401: WHY.token, 403: WHY.admin, 413: WHY.tooLarge }),
      },
    }),
    (c) => {
      const b = c.req.valid('json');
      const r = eraseCustomer(
        o.db,
        o.identity,
        b.customerId,
        b.reason === undefined ? {} : { reason: b.reason }
      );
      return c.json({ pseudonym: r.pseudonym, rowsDeleted: r.rowsDeleted }, 200);
    }
  );
}
