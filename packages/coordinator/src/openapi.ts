// Imported first: it adds `.openapi()` to zod schemas created from then on.
import { OpenAPIHono, createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { Env } from 'hono';
import type { BlankEnv } from 'hono/types';
import { ErrorBodySchema as WireErrorSchema, PROTOCOL_VERSION } from '@fedmark/protocol';

// The coordinator's OpenAPI document is generated from the routes themselves: each route module
// declares its operations with createRoute (the same zod schemas its handlers parse with) and
// this file holds what they share (docs/coordinator.md "OpenAPI document").

/**
 * The one error body, `{error:{code,message}}` (protocol's schema), as the `Error` component.
 * Cloned: protocol's schema may have been built before `.openapi()` existed (zod copies methods
 * onto each schema when it is created).
 */
const ErrorBodySchema = WireErrorSchema.clone().openapi('Error');

export const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
export const jsonBody = <T>(schema: T, description: string) => ({
  body: { ...json(schema, description), required: true },
});

/** The 4xx statuses the coordinator answers with (HTTP_STATUS in @fedmark/protocol). */
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429;
type ErrorResponse = {
  content: { 'application/json': { schema: typeof ErrorBodySchema } };
  description: string;
};

/** Error responses, each status with why it happens on this route; all share the `Error` body. */
export function errors<const T extends Partial<Record<ErrorStatus, string>>>(
  why: T
): { [K in keyof T]: ErrorResponse } {
  return Object.fromEntries(
    Object.entries(why).map(([status, description]) => [
      status,
      json(ErrorBodySchema, description as string),
    ])
  ) as never;
}

/** Why the shared 4xx happen; routes add their own. */
export const WHY = {
  operatorToken: 'no bearer token, or an unknown one (UNAUTHORIZED)',
  auditorToken: 'the auditor token on an operator endpoint (FORBIDDEN)',
  signed:
    'missing signed-request headers or an unknown node (UNAUTHORIZED), a signature that does not verify (INVALID_SIGNATURE), or a timestamp more than 5 min off (STALE)',
  replayed: 'a nonce this node already used (REPLAYED)',
  body: 'malformed JSON, or a body that fails its schema; the message names the field (BAD_REQUEST)',
  tooLarge: 'request body larger than 32 MiB (PAYLOAD_TOO_LARGE)',
  rateLimited:
    'this node sent more requests than its allowance (a burst of 600, 60 a second by default): wait the Retry-After seconds (RATE_LIMITED)',
} as const;

/** Security requirements; alternatives in one list are OR-ed (OpenAPI 3.1 "Security Requirement Object"). */
type Security = Record<string, string[]>[];
export const OPERATOR: Security = [{ operatorToken: [] }];
export const OPERATOR_OR_AUDITOR: Security = [{ operatorToken: [] }, { auditorToken: [] }];
export const NODE_SIGNED: Security = [{ nodeSignature: [] }];
export const PUBLIC: Security = [];

/**
 * A router for API routes. Its routes go through `parsedByHandler`, so zod-openapi validates
 * nothing; should a route ever declare request schemas for it to validate, a failure is thrown to
 * the app's one onError (400 BAD_REQUEST naming the field) instead of zod-openapi's own 400 body.
 */
export function apiRouter<E extends Env = BlankEnv>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw result.error;
    },
  });
}

/**
 * Documents `route` in full and returns it without its request schemas, for `app.openapi`. The
 * coordinator's handlers parse their own requests, as they did before the document was generated:
 * a node's body is parsed from the exact bytes it signed, whatever its Content-Type, and the
 * domain turns schema failures into its own codes and messages (BAD_CIPHERTEXT for an undecodable
 * ciphertext, "checkpoint submission: ..."), in its own order of checks. zod-openapi's validators
 * would run first and answer differently. The schemas documented here are the ones those handlers
 * parse with; the responses stay typed against the handler's return values.
 */
export function parsedByHandler<R extends RouteConfig>(
  app: Pick<OpenAPIHono, 'openAPIRegistry'>,
  route: R
): Omit<R, 'request'> & { hide: true } {
  const { middleware: _middleware, hide: _hide, ...documented } = route;
  app.openAPIRegistry.registerPath(documented);
  const { request: _request, ...served } = route;
  return { ...served, hide: true };
}

/** The document's frame; the paths come from the routes. */
const OPENAPI_DOC = {
  openapi: '3.1.0',
  info: {
    title: 'fedmark coordinator',
    version: String(PROTOCOL_VERSION),
    description:
      'Federated analytics coordinator: enrollment, key ceremony relay, jobs, homomorphic aggregation, transparency log of node checkpoints.',
  },
  // Relative: the API is wherever this document was fetched from.
  servers: [{ url: '/', description: 'the coordinator serving this document' }],
  tags: [
    { name: 'meta', description: 'liveness and this document; no credentials' },
    { name: 'admin', description: 'membership, enrollment tokens and key epochs (operator token)' },
    {
      name: 'jobs',
      description: 'statistics and training jobs, their progress and results (operator token)',
    },
    { name: 'enrollment', description: 'a node enrolls with a one-time token, self-signed' },
    {
      name: 'node',
      description:
        "the node-facing API: tasks, key ceremony, rounds, checkpoints (signed with the node's key)",
    },
    {
      name: 'transparency',
      description:
        'the transparency log of node checkpoints (operator or auditor token; docs/audit.md)',
    },
  ],
};

const OpenApiDocumentSchema = z.record(z.string(), z.unknown());

/** Adds the security schemes and serves the OpenAPI 3.1 document at GET /openapi.json. */
export function serveOpenApiDocument(app: OpenAPIHono): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'operatorToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'operator.token of the coordinator directory',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'auditorToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      'auditor.token of the coordinator directory: the transparency log only (403 on operator endpoints)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'nodeSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'x-fedmark-signature',
    description:
      'Ed25519 over (method, path, body hash, timestamp, nonce, node), sent with x-fedmark-node, x-fedmark-timestamp and x-fedmark-nonce; see docs/federation-protocol.md',
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      tags: ['meta'],
      summary: 'this OpenAPI 3.1 document; no credentials',
      security: PUBLIC,
      responses: {
        200: json(
          OpenApiDocumentSchema,
          'the OpenAPI document of every API route (not the HTML console)'
        ),
      },
    }),
    (c) => c.json(app.getOpenAPI31Document(OPENAPI_DOC), 200)
  );
}
