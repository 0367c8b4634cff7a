import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  JobEventsResponseSchema,
  JobListResponseSchema,
  JobResultSchema,
  JobSpecSchema,
  JobStatusSchema,
  ProtocolError,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { operatorAuth, parseJsonBytes } from '../nodes/auth.ts';
import { OPERATOR, WHY, apiRouter, errors, json, jsonBody, parsedByHandler } from '../openapi.ts';
import { createJob } from './create.ts';
import type { RoundEngine } from './rounds.ts';
import { jobList, jobResult, jobStatus } from './status.ts';
import { cancelJob } from './cancel.ts';

/** `?after=`: the last event sequence number the caller has seen. */
const AfterSchema = z.string().regex(/^[0-9]{1,15}$/);

const OPERATOR_ERRORS = { 401: WHY.operatorToken, 403: WHY.auditorToken } as const;
const NO_JOB = { 404: 'no job with this id (NOT_FOUND)' } as const;
const tags = ['jobs'];
const params = z.object({
  id: z.string().openapi({ description: 'job id, e.g. j-0123456789abcdef' }),
});

/** Operator API for jobs (bearer token). */
export function jobRoutes(ctx: Ctx, engine: RoundEngine): OpenAPIHono {
  const app = apiRouter();
  app.use('*', operatorAuth(ctx));

  const create = createRoute({
    method: 'post',
    path: '/',
    operationId: 'createJob',
    tags,
    summary: 'Create a job (JobSpec) on the active key epoch',
    security: OPERATOR,
    request: jsonBody(JobSpecSchema, 'a JobSpec (docs/coordinator.md "Jobs")'),
    responses: {
      201: json(JobStatusSchema, 'the new job with its first round open'),
      ...errors({
        400: `${WHY.body}; or participants that are not members, fewer than minNodes, or a sum that could exceed the plaintext range`,
        401: WHY.operatorToken,
        403: `${WHY.auditorToken}; or a participant whose signed policy summary would refuse the job (POLICY_REFUSED, naming the node and the rule: docs/federation-protocol.md "Job preflight")`,
        409: 'no key epoch yet (CONFLICT), or the newest one is still being generated or installed (KEY_EPOCH_PENDING: retry)',
        413: WHY.tooLarge,
      }),
    },
  });
  app.openapi(parsedByHandler(app, create), async (c) => {
    const { jobId } = createJob(
      ctx,
      engine,
      parseJsonBytes(new Uint8Array(await c.req.arrayBuffer()))
    );
    return c.json(jobStatus(ctx, jobId), 201);
  });

  const list = createRoute({
    method: 'get',
    path: '/',
    operationId: 'listJobs',
    tags,
    summary: 'List jobs',
    security: OPERATOR,
    responses: {
      200: json(JobListResponseSchema, 'every job with its status'),
      ...errors(OPERATOR_ERRORS),
    },
  });
  app.openapi(parsedByHandler(app, list), (c) => c.json(jobList(ctx), 200));

  const status = createRoute({
    method: 'get',
    path: '/{id}',
    operationId: 'getJob',
    tags,
    summary: 'Job progress per round and participant',
    security: OPERATOR,
    request: { params },
    responses: {
      200: json(
        JobStatusSchema,
        'per round, per participant: pending, submitted or refused (with the reason), decryptions'
      ),
      ...errors({ ...OPERATOR_ERRORS, ...NO_JOB }),
    },
  });
  app.openapi(parsedByHandler(app, status), (c) => c.json(jobStatus(ctx, c.req.param('id')), 200));

  const result = createRoute({
    method: 'get',
    path: '/{id}/result',
    operationId: 'getJobResult',
    tags,
    summary: 'Published rounds with estimates and 95% intervals',
    security: OPERATOR,
    request: { params },
    responses: {
      200: json(JobResultSchema, 'the published rounds so far'),
      ...errors({ ...OPERATOR_ERRORS, ...NO_JOB }),
    },
  });
  app.openapi(parsedByHandler(app, result), (c) => c.json(jobResult(ctx, c.req.param('id')), 200));

  const cancel = createRoute({
    method: 'post',
    path: '/{id}/cancel',
    operationId: 'cancelJob',
    tags,
    summary: 'Cancel a running job: its open rounds fail, nodes get no more tasks for it',
    security: OPERATOR,
    request: { params },
    responses: {
      200: json(JobStatusSchema, 'the job, now failed with code CANCELLED'),
      ...errors({
        ...OPERATOR_ERRORS,
        ...NO_JOB,
        409: 'the job is already published or failed (CONFLICT)',
      }),
    },
  });
  app.openapi(parsedByHandler(app, cancel), (c) => {
    cancelJob(ctx, c.req.param('id'));
    return c.json(jobStatus(ctx, c.req.param('id')), 200);
  });

  const events = createRoute({
    method: 'get',
    path: '/{id}/events',
    operationId: 'listJobEvents',
    tags,
    summary: 'Job events after ?after=<seq>',
    security: OPERATOR,
    request: {
      params,
      query: z.object({
        after: AfterSchema.optional().openapi({
          description: 'last event sequence number seen (default 0)',
        }),
      }),
    },
    responses: {
      200: json(JobEventsResponseSchema, 'the events after `after`, in order'),
      ...errors({
        400: '`after` is not an event sequence number (BAD_REQUEST)',
        ...OPERATOR_ERRORS,
        ...NO_JOB,
      }),
    },
  });
  app.openapi(parsedByHandler(app, events), (c) => {
    const after = c.req.query('after') ?? '0';
    if (!AfterSchema.safeParse(after).success)
      throw new ProtocolError(
        'BAD_REQUEST',
        `"after" must be an event sequence number, got ${JSON.stringify(after)}`
      );
    jobStatus(ctx, c.req.param('id'));
    return c.json(
      { version: 1 as const, events: ctx.store.jobs.events(c.req.param('id'), Number(after)) },
      200
    );
  });
  return app;
}
