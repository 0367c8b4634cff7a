import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ProtocolError } from '@fedmark/protocol';
import {
  NO_ACTION_REASONS,
  RULE_CODES,
  STRATEGIES,
  decideCustomers,
  loadDecisionPolicy,
  type LoadedPolicy,
} from '../decide/index.ts';
import { requireAdmin, type ApiEnv } from './auth.ts';
import type { NodeAppOptions } from './app.ts';
import { BEARER, WHY, errors, json, jsonBody } from './_responses.ts';

/**
 * `POST /v1/decide` (docs/decide.md "API"): next-best-action for one customer or a short list,
 * decided with the node's installed decision policy `<dir>/decision-policy.json`. Admin only:
 * an answer is about one named customer, which an auditor must never see (docs/audit.md: auditors read the ledger, never customer data). Nothing
 * leaves the node; each request is logged locally as its rule mix.
 */

export const DECISION_POLICY_FILE = 'decision-policy.json';
/** A request decides at most this many customers: batches go through `fedmark node decide`. */
export const MAX_DECIDE_IDS = 100;

const CustomerId = z.string().min(1).max(128);

export const DecideBodySchema = z
  .strictObject({
    customerId: CustomerId.optional(),
    customerIds: z.array(CustomerId).min(1).max(MAX_DECIDE_IDS).optional(),
    at: z.iso
      .datetime({ offset: false })
      .optional()
      .openapi({ description: 'the decision moment (ISO 8601 UTC); default now' }),
  })
  .refine((b) => (b.customerId === undefined) !== (b.customerIds === undefined), {
    message: 'give exactly one of customerId and customerIds',
    path: ['customerId'],
  })
  .openapi('DecideRequest');

const DecisionSchema = z
  .object({
    customerId: z.string(),
    action: z
      .object({
        id: z.string(),
        campaign: z.string(),
        offer: z.string().nullable(),
        strategy: z.enum(STRATEGIES),
      })
      .nullable(),
    channel: z.string().nullable(),
    sendAt: z.string().nullable(),
    sendAtLocal: z.string().nullable(),
    reason: z.enum(NO_ACTION_REASONS).nullable(),
    rules: z.array(z.object({ rule: z.enum(RULE_CODES), detail: z.string() })),
  })
  .openapi('Decision');

export const DecideResultSchema = z
  .object({
    policy: z.object({ name: z.string(), hash: z.string() }),
    at: z.string(),
    decisions: z.array(DecisionSchema),
  })
  .openapi('DecideResult');

/** The installed policy, read again when the file changes (model and rate files with it). */
function policyLoader(dir: string): () => LoadedPolicy {
  const file = join(dir, DECISION_POLICY_FILE);
  let cached: { mtimeMs: number; loaded: LoadedPolicy } | null = null;
  return () => {
    if (!existsSync(file))
      throw new ProtocolError(
        'NOT_FOUND',
        `no decision policy installed: copy a policy file to <node-dir>/${DECISION_POLICY_FILE} (docs/decide.md)`
      );
    const mtimeMs = statSync(file).mtimeMs;
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, loaded: loadDecisionPolicy(file) };
    return cached.loaded;
  };
}

export function registerDecideRoutes(app: OpenAPIHono<ApiEnv>, o: NodeAppOptions): void {
  const policy = policyLoader(o.dir);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/decide',
      operationId: 'decide',
      tags: ['admin'],
      summary:
        'next-best-action for one customer or up to 100: action, channel, send time and the rules that fired',
      security: BEARER,
      middleware: [requireAdmin] as const,
      request: jsonBody(DecideBodySchema, 'the customer(s) to decide for'),
      responses: {
        200: json(DecideResultSchema, 'one decision per customer, in request order'),
        ...errors({
          400: `${WHY.body}; or the installed decision policy (or a file it names) is invalid`,
          401: WHY.token,
          403: WHY.admin,
          404: `no decision policy installed at <node-dir>/${DECISION_POLICY_FILE} (NOT_FOUND)`,
          413: WHY.tooLarge,
        }),
      },
    }),
    (c) => {
      const b = c.req.valid('json');
      const loaded = policy();
      const now = b.at === undefined ? new Date() : new Date(b.at);
      const ids = b.customerIds ?? [b.customerId as string];
      const { decisions } = decideCustomers(
        { db: o.db, identity: o.identity, loaded, now },
        ids,
        'api'
      );
      return c.json(
        {
          policy: { name: loaded.compiled.policy.name, hash: loaded.compiled.hash },
          at: now.toISOString(),
          decisions,
        },
        200
      );
    }
  );
}
