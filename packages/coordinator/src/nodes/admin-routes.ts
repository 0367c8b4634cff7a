import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  AdmitNodeRequestSchema,
  EnrollmentTokenRequestSchema,
  EnrollmentTokenResponseSchema,
  KeyEpochSchema,
  NodeInfoSchema,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { epochToWire, requireActiveEpoch, rotateKey } from '../keys/epochs.ts';
import { OPERATOR, WHY, apiRouter, errors, json, jsonBody, parsedByHandler } from '../openapi.ts';
import { admitNode, createEnrollmentToken, nodeToWire, removeNode } from './admission.ts';
import { operatorAuth, parseJsonBytes } from './auth.ts';

const NodeListSchema = z.object({ version: z.literal(1), nodes: z.array(NodeInfoSchema) });
const EpochListSchema = z.object({ version: z.literal(1), epochs: z.array(KeyEpochSchema) });
/** The epoch a key-ceremony step or a rotation left in force (null: no members, no epoch). */
export const EpochResponseSchema = z.object({
  version: z.literal(1),
  epoch: KeyEpochSchema.nullable(),
});

const OPERATOR_ERRORS = { 401: WHY.operatorToken, 403: WHY.auditorToken } as const;
const tags = ['admin'];

/** Operator API for membership and keys (bearer token). */
export function adminRoutes(ctx: Ctx): OpenAPIHono {
  const app = apiRouter();
  app.use('*', operatorAuth(ctx));
  const body = async (c: { req: { arrayBuffer(): Promise<ArrayBuffer> } }) =>
    parseJsonBytes(new Uint8Array(await c.req.arrayBuffer()));

  const listNodes = createRoute({
    method: 'get',
    path: '/nodes',
    operationId: 'listNodes',
    tags,
    summary: 'List admitted nodes',
    security: OPERATOR,
    responses: {
      200: json(NodeListSchema, 'the members, removed nodes left out'),
      ...errors(OPERATOR_ERRORS),
    },
  });
  app.openapi(parsedByHandler(app, listNodes), (c) =>
    c.json(
      {
        version: 1 as const,
        nodes: ctx.store.nodes
          .list()
          .filter((n) => !n.removedAt)
          .map(nodeToWire),
      },
      200
    )
  );

  const admit = createRoute({
    method: 'post',
    path: '/nodes',
    operationId: 'admitNode',
    tags,
    summary: 'Admit a node by its public keys (starts a new key epoch)',
    security: OPERATOR,
    request: jsonBody(AdmitNodeRequestSchema, "the node's name, signing and box public keys"),
    responses: {
      201: json(NodeInfoSchema, 'the admitted node (re-admitting the same keys changes nothing)'),
      ...errors({
        400: WHY.body,
        ...OPERATOR_ERRORS,
        409: 'the name is admitted with other keys, or the keys belong to another node (CONFLICT)',
        413: WHY.tooLarge,
      }),
    },
  });
  app.openapi(parsedByHandler(app, admit), async (c) => c.json(admitNode(ctx, await body(c)), 201));

  const remove = createRoute({
    method: 'delete',
    path: '/nodes/{name}',
    operationId: 'removeNode',
    tags,
    summary: 'Remove a node (starts a new key epoch)',
    security: OPERATOR,
    request: { params: z.object({ name: z.string().openapi({ description: 'node name' }) }) },
    responses: {
      200: json(NodeInfoSchema, 'the removed node; its requests are refused from now on'),
      ...errors({ ...OPERATOR_ERRORS, 404: 'no admitted node by that name (NOT_FOUND)' }),
    },
  });
  app.openapi(parsedByHandler(app, remove), (c) =>
    c.json(removeNode(ctx, c.req.param('name')), 200)
  );

  const token = createRoute({
    method: 'post',
    path: '/enrollment-tokens',
    operationId: 'createEnrollmentToken',
    tags,
    summary: 'One-time enrollment token for a node name',
    security: OPERATOR,
    request: jsonBody(EnrollmentTokenRequestSchema, 'the node name and the token lifetime'),
    responses: {
      201: json(EnrollmentTokenResponseSchema, 'the token, shown once (only its hash is stored)'),
      ...errors({
        400: WHY.body,
        ...OPERATOR_ERRORS,
        409: 'a node by that name is already admitted (CONFLICT)',
        413: WHY.tooLarge,
      }),
    },
  });
  app.openapi(parsedByHandler(app, token), async (c) =>
    c.json(createEnrollmentToken(ctx, await body(c)), 201)
  );

  const keys = createRoute({
    method: 'get',
    path: '/keys',
    operationId: 'listKeyEpochs',
    tags,
    summary: 'Key epochs',
    security: OPERATOR,
    responses: {
      200: json(EpochListSchema, 'every key epoch: public key hash, members, acknowledgements'),
      ...errors(OPERATOR_ERRORS),
    },
  });
  app.openapi(parsedByHandler(app, keys), (c) =>
    c.json({ version: 1 as const, epochs: ctx.store.keys.list().map(epochToWire) }, 200)
  );

  const rotate = createRoute({
    method: 'post',
    path: '/keys/rotate',
    operationId: 'rotateKey',
    tags,
    summary: 'Start a new key epoch for the current members',
    security: OPERATOR,
    responses: {
      201: json(EpochResponseSchema, 'the new epoch (null when there are no members)'),
      ...errors(OPERATOR_ERRORS),
    },
  });
  app.openapi(parsedByHandler(app, rotate), (c) => {
    const e = ctx.store.transaction(() => rotateKey(ctx, 'operator request'));
    return c.json({ version: 1 as const, epoch: e ? epochToWire(e) : null }, 201);
  });

  const active = createRoute({
    method: 'get',
    path: '/keys/active',
    operationId: 'getActiveKeyEpoch',
    tags,
    summary: 'The epoch new jobs use',
    security: OPERATOR,
    responses: {
      200: json(EpochResponseSchema, 'the active epoch'),
      ...errors({
        ...OPERATOR_ERRORS,
        409: 'no epoch yet (CONFLICT), or the latest one still waits for its key generation or installs (KEY_EPOCH_PENDING)',
      }),
    },
  });
  app.openapi(parsedByHandler(app, active), (c) =>
    c.json({ version: 1 as const, epoch: epochToWire(requireActiveEpoch(ctx)) }, 200)
  );
  return app;
}
