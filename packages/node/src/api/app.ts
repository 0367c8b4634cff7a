import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { ProtocolError } from '@fedmark/protocol';
import type Database from 'better-sqlite3';
import type { NodeIdentity } from '../identity/index.ts';
import { authenticate, type ApiEnv } from './auth.ts';
import { describeZodError, handleError } from './errors.ts';
import { registerReadRoutes } from './routes-read.ts';
import { registerAdminRoutes } from './routes-admin.ts';
import { registerLedgerProofRoutes } from './routes-ledger-proofs.ts';
import { registerAuditRoutes } from './routes-audit.ts';
import { registerDecideRoutes } from './routes-decide.ts';
import { createNodeConsole, NODE_CONSOLE_BASE } from '../console/index.ts';
import type { ApiToken } from './tokens.ts';
import { PUBLIC, json } from './_responses.ts';

/** Largest accepted request body: a SegmentQuery is a few KiB; 1 MiB leaves room, bounds memory. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The document's frame; the paths come from the routes (docs/node-api.md "OpenAPI document"). */
const OPENAPI_DOC = {
  openapi: '3.1.0',
  info: {
    title: 'fedmark node local API',
    version: '1',
    description:
      "A data-owner node's admin/auditor API. Binds to loopback by default. Auditor tokens may only read.",
  },
  // Relative: the API is wherever this document was fetched from (loopback, or the operator's TLS proxy).
  servers: [{ url: '/', description: 'the node serving this document' }],
  tags: [
    { name: 'meta', description: 'liveness and this document; no token' },
    {
      name: 'ledger',
      description: 'the hash-chained ledger, its verification and RFC 9162 proofs (both roles)',
    },
    { name: 'privacy', description: 'privacy budget and policy in force (both roles)' },
    {
      name: 'audit',
      description: 'what `fedmark audit verify --node URL` reads (both roles, docs/audit.md)',
    },
    { name: 'admin', description: 'statistics, consent changes and erasures (admin role)' },
  ],
};

const tooLarge = () =>
  new ProtocolError(
    'PAYLOAD_TOO_LARGE',
    `request body larger than ${MAX_BODY_BYTES} bytes (1 MiB)`
  );

export interface NodeAppOptions {
  dir: string;
  db: Database.Database;
  identity: NodeIdentity;
  tokens: readonly ApiToken[];
  /** Where unexpected errors are logged (default console.error); never sent to the client. */
  log?: (message: string, err: unknown) => void;
}

export function createNodeApp(opts: NodeAppOptions): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    // Every request part is validated before a handler runs; a failure names the field.
    defaultHook: (result) => {
      if (!result.success)
        throw new ProtocolError('BAD_REQUEST', describeZodError(result.error, result.target));
    },
  });
  app.onError(handleError(opts.log ?? ((m, e) => console.error(m, e))));
  app.notFound((c) =>
    c.json(
      { error: { code: 'NOT_FOUND' as const, message: `no route ${c.req.method} ${c.req.path}` } },
      404
    )
  );
  app.use('/v1/*', authenticate(opts.tokens));
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw tooLarge();
      },
    })
  );
  // hono's bodyLimit checks Content-Length up front; for a chunked body it errors the stream
  // instead, which the JSON validator would report as malformed JSON. Reading the body here (hono
  // caches it for the validator) turns that stream error into the 413 it is.
  app.use('/v1/*', async (c, next) => {
    if (c.req.raw.body !== null) {
      try {
        await c.req.arrayBuffer();
      } catch (err) {
        if (err instanceof Error && err.name === 'BodyLimitError') throw tooLarge();
        throw new ProtocolError('BAD_REQUEST', 'could not read the request body');
      }
    }
    await next();
  });
  registerReadRoutes(app, { dir: opts.dir, db: opts.db, name: opts.identity.name });
  registerLedgerProofRoutes(app, { db: opts.db, identity: opts.identity });
  registerAuditRoutes(app, { dir: opts.dir, db: opts.db, identity: opts.identity });
  registerAdminRoutes(app, opts);
  registerDecideRoutes(app, opts);
  // The web console (HTML, session cookie) beside the bearer-token API; it keeps its own error pages.
  app.route(
    NODE_CONSOLE_BASE,
    createNodeConsole({
      dir: opts.dir,
      db: opts.db,
      identity: opts.identity,
      tokens: opts.tokens,
      ...(opts.log ? { log: opts.log } : {}),
    }).app
  );
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'admin or auditor token from <node-dir>/api-tokens.json',
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      tags: ['meta'],
      summary: 'this OpenAPI 3.1 document; no token needed',
      security: PUBLIC,
      responses: {
        200: json(
          z.record(z.string(), z.unknown()),
          'the OpenAPI document of every /v1 route and /health'
        ),
      },
    }),
    (c) => c.json(app.getOpenAPI31Document(OPENAPI_DOC), 200)
  );
  return app;
}
