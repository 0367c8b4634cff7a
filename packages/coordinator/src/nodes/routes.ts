import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  DecryptionSchema,
  EnrollRequestSchema,
  EnrollResponseSchema,
  KeyAckSchema,
  KeyBundleSchema,
  ReceiptSchema,
  RefusalSchema,
  PolicySummarySchema,
  SecaggSetupSchema,
  SecaggUnmaskSchema,
  SubmissionSchema,
  TasksEtagSchema,
  TasksResponseSchema,
  TasksWaitSchema,
  TASKS_MAX_WAIT_SECONDS,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { acceptKeyAck, acceptKeyBundle } from '../keys/ceremony.ts';
import { acceptDecryption } from '../jobs/decryptions.ts';
import { acceptSecaggSetup, acceptSecaggUnmask } from '../jobs/secagg.ts';
import { acceptPolicySummary } from '../jobs/preflight.ts';
import { RoundParamSchema, acceptRefusal, acceptSubmission } from '../jobs/submissions.ts';
import type { RoundEngine } from '../jobs/rounds.ts';
import {
  NODE_SIGNED,
  PUBLIC,
  WHY,
  apiRouter,
  errors,
  json,
  jsonBody,
  parsedByHandler,
} from '../openapi.ts';
import { EpochResponseSchema } from './admin-routes.ts';
import { enroll } from './admission.ts';
import { nodeAuth, parseJsonBytes, type NodeAuthVars } from './auth.ts';
import { TaskFeed } from './task-feed.ts';
import { overlapNodeRoutes } from '../overlap/routes.ts';

const DecryptionAckSchema = z.object({
  version: z.literal(1),
  status: z.string().openapi({ description: "the round's status after this decryption" }),
});

const KeyParams = z.object({ keyId: z.string().openapi({ description: 'key epoch id' }) });
const RoundParams = z.object({
  jobId: z.string().openapi({ description: 'job id' }),
  round: RoundParamSchema.openapi({ description: 'round number (0, 1, ...)' }),
});

const SIGNED_ERRORS = { 401: WHY.signed, 409: WHY.replayed } as const;
const BAD_ROUND =
  'a round that is not a small integer, or a body that fails its schema (BAD_REQUEST)';
const NO_ROUND = { 404: 'no such job or round (NOT_FOUND)' } as const;
const tags = ['node'];

/** Node-facing API: `/v1/enroll` (self-signed with a one-time token) and signed `/v1/node/*`. */
export function nodeRoutes(
  ctx: Ctx,
  engine: RoundEngine,
  feed: TaskFeed = new TaskFeed(ctx)
): OpenAPIHono {
  const app = apiRouter();
  const enrollRoute = createRoute({
    method: 'post',
    path: '/v1/enroll',
    operationId: 'enroll',
    tags: ['enrollment'],
    summary: 'Node enrolls with a one-time token (self-signed)',
    // The credential is the one-time token inside the body, signed with the key being enrolled.
    security: PUBLIC,
    request: jsonBody(
      EnrollRequestSchema,
      "the token, the node's name and public keys, signed with its signing key"
    ),
    responses: {
      200: json(EnrollResponseSchema, "the node is a member; the coordinator's public key"),
      ...errors({
        400: WHY.body,
        401: 'the token is unknown, used, expired or issued for another name (UNAUTHORIZED), or the signature does not verify (INVALID_SIGNATURE)',
        409: 'the name or the signing key is already admitted with other keys (CONFLICT)',
        413: WHY.tooLarge,
      }),
    },
  });
  app.openapi(parsedByHandler(app, enrollRoute), async (c) =>
    c.json(enroll(ctx, parseJsonBytes(new Uint8Array(await c.req.arrayBuffer()))), 200)
  );

  const node = apiRouter<NodeAuthVars>();
  node.use('*', nodeAuth(ctx));
  const body = (c: { get(k: 'rawBody'): Uint8Array }) => parseJsonBytes(c.get('rawBody'));

  const tasks = createRoute({
    method: 'get',
    path: '/tasks',
    operationId: 'getNodeTasks',
    tags,
    summary: 'Tasks for the calling node',
    description: `Answered with an \`ETag\`. A poll that sends it back in \`If-None-Match\` gets 304 while the node's tasks are unchanged; with \`?wait=<seconds>\` (at most ${TASKS_MAX_WAIT_SECONDS}) it is first held until they change or the wait ends (docs/federation-protocol.md "Polling").`,
    security: NODE_SIGNED,
    request: {
      query: z.object({
        wait: z
          .string()
          .optional()
          .openapi({
            description: `seconds to hold a poll whose If-None-Match still matches (0 to ${TASKS_MAX_WAIT_SECONDS})`,
          }),
      }),
      headers: z.object({
        'if-none-match': TasksEtagSchema.optional().openapi({
          description: 'the ETag of the last answer this node acted on',
        }),
      }),
    },
    responses: {
      200: json(
        TasksResponseSchema,
        'key generation and installs, rounds to answer, aggregates to decrypt'
      ),
      304: { description: "the node's tasks are those of its If-None-Match; no body" },
      ...errors({
        ...SIGNED_ERRORS,
        400: 'a wait that is not 0 to 30 seconds',
        429: WHY.rateLimited,
      }),
    },
  });
  node.openapi(parsedByHandler(node, tasks), async (c) => {
    const who = c.get('node');
    const wait = c.req.query('wait');
    const waitMs = wait === undefined ? 0 : TasksWaitSchema.parse(wait) * 1000;
    // A malformed tag is no tag: the node gets the full answer.
    const sent = TasksEtagSchema.safeParse(c.req.header('if-none-match'));
    if (!sent.success) {
      const answer = feed.answer(who);
      return c.body(answer.body, 200, { 'content-type': 'application/json', etag: answer.etag });
    }
    const answer = await feed.changed(who, sent.data, waitMs, c.req.raw.signal);
    if (answer.etag === sent.data) return c.body(null, 304, { etag: answer.etag });
    return c.body(answer.body, 200, { 'content-type': 'application/json', etag: answer.etag });
  });

  const policySummary = createRoute({
    method: 'post',
    path: '/policy-summary',
    operationId: 'submitPolicySummary',
    tags,
    summary: "The node's signed policy summary, for job preflight",
    security: NODE_SIGNED,
    request: jsonBody(
      PolicySummarySchema,
      'the policy terms a round is judged on (never a budget), signed'
    ),
    responses: {
      200: json(z.object({ version: z.literal(1) }), 'stored; it replaces an older summary'),
      ...errors({
        429: WHY.rateLimited,
        400: WHY.body,
        401: `${WHY.signed}; or a summary signature that does not verify`,
        403: "the sender is not the summary's node (FORBIDDEN)",
        409: `a newer summary of this node is stored (CONFLICT); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, policySummary), (c) =>
    c.json(acceptPolicySummary(ctx, c.get('node'), body(c)), 200)
  );

  const bundle = createRoute({
    method: 'post',
    path: '/keys/{keyId}',
    operationId: 'uploadKeyBundle',
    tags,
    summary: 'Generator uploads the key bundle',
    security: NODE_SIGNED,
    request: {
      params: KeyParams,
      ...jsonBody(
        KeyBundleSchema,
        'the public key and the secret key sealed to each member, signed'
      ),
    },
    responses: {
      200: json(EpochResponseSchema, 'the epoch, now waiting for the members to install the key'),
      ...errors({
        429: WHY.rateLimited,
        400: `${WHY.body}; or a bundle that does not match the epoch`,
        401: `${WHY.signed}; or a bundle signature that does not verify`,
        403: 'the caller is not the generator of this epoch (FORBIDDEN)',
        404: 'no key epoch with this id (NOT_FOUND)',
        409: `a different bundle is already recorded for this epoch (CONFLICT); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, bundle), (c) =>
    c.json(acceptKeyBundle(ctx, c.get('node'), c.req.param('keyId'), body(c)), 200)
  );

  const ack = createRoute({
    method: 'post',
    path: '/keys/{keyId}/ack',
    operationId: 'ackKey',
    tags,
    summary: 'Member confirms key installation',
    security: NODE_SIGNED,
    request: {
      params: KeyParams,
      ...jsonBody(KeyAckSchema, 'the installed public key hash, signed'),
    },
    responses: {
      200: json(EpochResponseSchema, 'the epoch (active once every member acknowledged)'),
      ...errors({
        429: WHY.rateLimited,
        400: `${WHY.body}; or another public key than the epoch's (KEY_MISMATCH)`,
        401: `${WHY.signed}; or an acknowledgement signature that does not verify`,
        403: 'the caller is not a member of this epoch, or is its generator (FORBIDDEN)',
        404: 'no key epoch with this id (NOT_FOUND)',
        409: `the epoch is not waiting for installs (CONFLICT); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, ack), (c) =>
    c.json(acceptKeyAck(ctx, c.get('node'), c.req.param('keyId'), body(c)), 200)
  );

  const submission = createRoute({
    method: 'post',
    path: '/jobs/{jobId}/rounds/{round}/submission',
    operationId: 'submitContribution',
    tags,
    summary: 'Encrypted contribution',
    security: NODE_SIGNED,
    request: {
      params: RoundParams,
      ...jsonBody(SubmissionSchema, 'the ciphertexts with their hashes, signed'),
    },
    responses: {
      200: json(
        ReceiptSchema,
        "the coordinator's signed receipt (the stored one when the same submission is sent again)"
      ),
      ...errors({
        429: WHY.rateLimited,
        400: `${BAD_ROUND}; ids, enforced noise or epsilon that differ from the path or the job; another key (KEY_MISMATCH) or layout (LAYOUT_MISMATCH); ciphertexts that do not load (BAD_CIPHERTEXT)`,
        401: `${WHY.signed}; or a submission signature that does not verify`,
        403: "the sender is not the body's node, not a participant of the job, or sent no secure-aggregation setup for the round (FORBIDDEN)",
        ...NO_ROUND,
        409: `different ciphertexts from this node are stored, or it refused the round (CONFLICT); the submission names another round spec hash than the round's (CONFLICT: it was computed on a spec the coordinator did not send, docs/federation-protocol.md "Bound round specs"); the round is closed (DEADLINE_PASSED); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, submission), async (c) =>
    c.json(
      await acceptSubmission(
        ctx,
        engine,
        c.get('node'),
        c.req.param('jobId'),
        c.req.param('round'),
        body(c)
      ),
      200
    )
  );

  const refusal = createRoute({
    method: 'post',
    path: '/jobs/{jobId}/rounds/{round}/refusal',
    operationId: 'submitRefusal',
    tags,
    summary: 'Signed refusal with reason',
    security: NODE_SIGNED,
    request: {
      params: RoundParams,
      ...jsonBody(RefusalSchema, 'the refusal code and reason, signed'),
    },
    responses: {
      200: json(ReceiptSchema, "the coordinator's signed receipt"),
      ...errors({
        429: WHY.rateLimited,
        400: `${BAD_ROUND}; or ids that differ from the path`,
        401: `${WHY.signed}; or a refusal signature that does not verify`,
        403: "the sender is not the body's node, not a participant of the job, or sent no secure-aggregation setup for the round (FORBIDDEN)",
        ...NO_ROUND,
        409: `the node refused the round for another reason, or submitted to it (CONFLICT); the refusal names another round spec hash than the round's (CONFLICT); the round is closed (DEADLINE_PASSED); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, refusal), async (c) =>
    c.json(
      await acceptRefusal(
        ctx,
        engine,
        c.get('node'),
        c.req.param('jobId'),
        c.req.param('round'),
        body(c)
      ),
      200
    )
  );

  const decryption = createRoute({
    method: 'post',
    path: '/jobs/{jobId}/rounds/{round}/decryption',
    operationId: 'submitDecryption',
    tags,
    summary: 'Signed plaintext of the aggregate',
    security: NODE_SIGNED,
    request: {
      params: RoundParams,
      ...jsonBody(DecryptionSchema, 'the decrypted slot values, signed'),
    },
    responses: {
      200: json(DecryptionAckSchema, 'accepted; publication needs two agreeing decryptions'),
      ...errors({
        429: WHY.rateLimited,
        400: `${BAD_ROUND}; ids that differ from the path; or values of another layout (LAYOUT_MISMATCH)`,
        401: `${WHY.signed}; or a decryption signature that does not verify`,
        403: "the sender is not the body's node, or not a decryptor of the round (FORBIDDEN)",
        404: 'no such job or round (NOT_FOUND)',
        409: `a different decryption from this node, one that disagrees with the published result, or a round that is not decrypting (CONFLICT); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, decryption), async (c) =>
    c.json(
      await acceptDecryption(
        ctx,
        engine,
        c.get('node'),
        c.req.param('jobId'),
        c.req.param('round'),
        body(c)
      ),
      200
    )
  );

  // Secure aggregation (docs/secure-aggregation.md): no route serves one node's ciphertexts.
  const setup = createRoute({
    method: 'post',
    path: '/jobs/{jobId}/rounds/{round}/secagg/setup',
    operationId: 'submitSecaggSetup',
    tags,
    summary: "A node's round mask key, self-mask commitment and boxed shares",
    security: NODE_SIGNED,
    request: {
      params: RoundParams,
      ...jsonBody(
        SecaggSetupSchema,
        'the signed advertisement with one boxed share per participant'
      ),
    },
    responses: {
      200: json(DecryptionAckSchema, 'accepted (the same setup sent again is accepted again)'),
      ...errors({
        429: WHY.rateLimited,
        400: `${BAD_ROUND}; ids that differ from the path; another threshold or participant set than the round's, or boxes that differ from their signed hashes (BAD_REQUEST)`,
        401: `${WHY.signed}; or an advertisement signature that does not verify`,
        403: "the sender is not the body's node, or not a participant of the job (FORBIDDEN)",
        ...NO_ROUND,
        409: `a different setup from this node is stored, the setup names another round spec hash, or the round is past its setup phase (CONFLICT); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, setup), async (c) =>
    c.json(
      await acceptSecaggSetup(
        ctx,
        engine,
        c.get('node'),
        c.req.param('jobId'),
        c.req.param('round'),
        body(c)
      ),
      200
    )
  );

  const unmask = createRoute({
    method: 'post',
    path: '/jobs/{jobId}/rounds/{round}/secagg/unmask',
    operationId: 'submitSecaggUnmask',
    tags,
    summary: "A survivor's shares for the round's signed survivor and dropped sets",
    security: NODE_SIGNED,
    request: {
      params: RoundParams,
      ...jsonBody(
        SecaggUnmaskSchema,
        'self-mask shares of survivors, mask-key shares of dropped nodes, signed'
      ),
    },
    responses: {
      200: json(DecryptionAckSchema, "accepted; the round's status after it"),
      ...errors({
        429: WHY.rateLimited,
        400: `${BAD_ROUND}; ids that differ from the path; shares for nodes outside the sets, or both kinds for one node (BAD_REQUEST)`,
        401: `${WHY.signed}; or an unmask signature that does not verify`,
        403: "the sender is not the body's node, or not a survivor of the round (FORBIDDEN)",
        ...NO_ROUND,
        409: `another answer from this node is stored, the answer names other sets than the round's, or the round is not unmasking (CONFLICT); or ${WHY.replayed}`,
        413: WHY.tooLarge,
      }),
    },
  });
  node.openapi(parsedByHandler(node, unmask), async (c) =>
    c.json(
      await acceptSecaggUnmask(
        ctx,
        engine,
        c.get('node'),
        c.req.param('jobId'),
        c.req.param('round'),
        body(c)
      ),
      200
    )
  );

  overlapNodeRoutes(ctx, node, body);
  app.route('/v1/node', node);
  return app;
}
