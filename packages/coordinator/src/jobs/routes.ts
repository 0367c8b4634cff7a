import { Hono } from 'hono';
import { ProtocolError } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { operatorAuth, parseJsonBytes } from '../nodes/auth.ts';
import { createJob } from './create.ts';
import type { RoundEngine } from './rounds.ts';
import { jobList, jobResult, jobStatus } from './status.ts';

/** Operator API for jobs (bearer token). */
export function jobRoutes(ctx: Ctx, engine: RoundEngine): Hono {
  const app = new Hono();
  app.use('*', operatorAuth(ctx));
  app.post('/', async (c) => {
    const { jobId } = createJob(ctx, engine, parseJsonBytes(new Uint8Array(await c.req.arrayBuffer())));
    return c.json(jobStatus(ctx, jobId), 201);
  });
  app.get('/', (c) => c.json(jobList(ctx)));
  app.get('/:id', (c) => c.json(jobStatus(ctx, c.req.param('id'))));
  app.get('/:id/result', (c) => c.json(jobResult(ctx, c.req.param('id'))));
  app.get('/:id/events', (c) => {
    const after = c.req.query('after') ?? '0';
    if (!/^[0-9]{1,15}$/.test(after)) throw new ProtocolError('BAD_REQUEST', `"after" must be an event sequence number, got ${JSON.stringify(after)}`);
    jobStatus(ctx, c.req.param('id'));
    return c.json({ version: 1, events: ctx.store.jobs.events(c.req.param('id'), Number(after)) });
  });
  return app;
}
