import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type Database from 'better-sqlite3';
import { listLedger, verifyLedger } from '../ledger/index.ts';
import { loadPolicy } from '../policy/index.ts';
import { budgetReport } from '../privacy/index.ts';
import type { ApiEnv } from './auth.ts';
import { BEARER, PUBLIC, WHY, errors, json } from './_responses.ts';
import {
  BudgetSchema,
  HealthSchema,
  LedgerListSchema,
  LedgerQuerySchema,
  PolicyResponseSchema,
  VerifySchema,
} from './schemas.ts';

/** Routes both roles may call: health (no token), ledger, verification, budget, policy. */
export function registerReadRoutes(
  app: OpenAPIHono<ApiEnv>,
  o: { dir: string; db: Database.Database; name: string }
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      tags: ['meta'],
      summary: 'liveness; no token needed',
      security: PUBLIC,
      responses: { 200: json(HealthSchema, 'the node is up') },
    }),
    (c) => c.json({ status: 'ok' as const, node: o.name, version: 1 as const }, 200)
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ledger',
      operationId: 'listLedgerEntries',
      tags: ['ledger'],
      summary: 'ledger entries in sequence order (pseudonyms only)',
      security: BEARER,
      request: { query: LedgerQuerySchema },
      responses: {
        200: json(LedgerListSchema, 'matching entries'),
        ...errors({ 400: WHY.query, 401: WHY.token }),
      },
    }),
    (c) => {
      const q = c.req.valid('query');
      const entries = listLedger(o.db, {
        fromSeq: q.from,
        limit: q.limit,
        ...(q.type === undefined ? {} : { type: q.type }),
      });
      return c.json({ entries }, 200);
    }
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ledger/verify',
      operationId: 'verifyLedger',
      tags: ['ledger'],
      summary: 'recompute the hash chain; names the first bad entry',
      security: BEARER,
      responses: {
        200: json(VerifySchema, 'verification result (ok false names firstBadSeq and why)'),
        ...errors({ 401: WHY.token }),
      },
    }),
    (c) => c.json(verifyLedger(o.db), 200)
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/budget',
      operationId: 'getBudget',
      tags: ['privacy'],
      summary: 'privacy budget per purpose in the current period',
      security: BEARER,
      responses: {
        200: json(BudgetSchema, 'cap, spent and remaining epsilon per purpose and period'),
        ...errors({ 400: WHY.badPolicy, 401: WHY.token, 404: WHY.noPolicy }),
      },
    }),
    (c) => {
      return c.json(budgetReport(o.db, loadPolicy(o.dir), new Date()), 200);
    }
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/policy',
      operationId: 'getPolicy',
      tags: ['privacy'],
      summary: "the node's policy in force",
      security: BEARER,
      responses: {
        200: json(PolicyResponseSchema, 'policy.json, validated'),
        ...errors({ 400: WHY.badPolicy, 401: WHY.token, 404: WHY.noPolicy }),
      },
    }),
    (c) => c.json(loadPolicy(o.dir), 200)
  );
}
