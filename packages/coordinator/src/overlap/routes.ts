import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  OverlapMessageSchema,
  OverlapRefusalSchema,
  OverlapReleaseSchema,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { NODE_SIGNED, WHY, errors, json, jsonBody, parsedByHandler } from '../openapi.ts';
import type { NodeAuthVars } from '../nodes/auth.ts';
import { acceptOverlapMessage, acceptOverlapRefusal, acceptOverlapRelease } from './accept.ts';

const OverlapAckSchema = z.object({
  version: z.literal(1),
  stage: z.string().openapi({
    description: "the pair's next stage after this answer: reply, count, published or failed",
  }),
});

const ERRORS = {
  429: WHY.rateLimited,
  401: `${WHY.signed}; or the body's signature does not verify against the sender's key`,
  403: 'the sender is not the node whose step it is, or not in the pair (FORBIDDEN)',
  404: 'no such overlap job or pair (NOT_FOUND)',
  409: `the pair already has this answer, waits for another step, or the spec hash is not the job's (CONFLICT); the job is over (DEADLINE_PASSED); or ${WHY.replayed}`,
  413: WHY.tooLarge,
} as const;

type Body = (c: { get(k: 'rawBody'): Uint8Array }) => unknown;

/**
 * Node-facing overlap endpoints (docs/overlap.md "Messages"), on the signed `/v1/node` router:
 * a PSI message for the peer, the initiator's figure, or a refusal of a pair.
 */
export function overlapNodeRoutes(ctx: Ctx, node: OpenAPIHono<NodeAuthVars>, body: Body): void {
  const tags = ['node'];
  const message = createRoute({
    method: 'post',
    path: '/overlap/messages',
    operationId: 'sendOverlapMessage',
    tags,
    summary: "A PSI request or reply sealed to the pair's other node",
    security: NODE_SIGNED,
    request: jsonBody(
      OverlapMessageSchema,
      'sealed chunks with their hashes, signed by the sender'
    ),
    responses: {
      200: json(OverlapAckSchema, 'stored for the peer'),
      ...errors({ 400: `${WHY.body}`, ...ERRORS }),
    },
  });
  node.openapi(parsedByHandler(node, message), (c) =>
    c.json(acceptOverlapMessage(ctx, c.get('node'), body(c)), 200)
  );
  const release = createRoute({
    method: 'post',
    path: '/overlap/releases',
    operationId: 'sendOverlapRelease',
    tags,
    summary: "The initiator's noised overlap figure for its pair",
    security: NODE_SIGNED,
    request: jsonBody(OverlapReleaseSchema, 'the figure and its noise parameters, signed'),
    responses: {
      200: json(OverlapAckSchema, 'published'),
      ...errors({ 400: `${WHY.body}; or epsilon, noise or bound other than the job's`, ...ERRORS }),
    },
  });
  node.openapi(parsedByHandler(node, release), (c) =>
    c.json(acceptOverlapRelease(ctx, c.get('node'), body(c)), 200)
  );
  const refusal = createRoute({
    method: 'post',
    path: '/overlap/refusals',
    operationId: 'sendOverlapRefusal',
    tags,
    summary: 'A node of a pair refuses it, with a reason',
    security: NODE_SIGNED,
    request: jsonBody(OverlapRefusalSchema, 'the reason, signed'),
    responses: {
      200: json(OverlapAckSchema, 'the pair failed'),
      ...errors({ 400: `${WHY.body}`, ...ERRORS }),
    },
  });
  node.openapi(parsedByHandler(node, refusal), (c) =>
    c.json(acceptOverlapRefusal(ctx, c.get('node'), body(c)), 200)
  );
}
