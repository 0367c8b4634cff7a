import { Hono } from 'hono';
import type { Ctx } from '../context.ts';
import { acceptKeyAck, acceptKeyBundle } from '../keys/ceremony.ts';
import { acceptDecryption, roundCiphertexts } from '../jobs/decryptions.ts';
import { acceptRefusal, acceptSubmission } from '../jobs/submissions.ts';
import type { RoundEngine } from '../jobs/rounds.ts';
import { enroll } from './admission.ts';
import { nodeAuth, parseJsonBytes, type NodeAuthVars } from './auth.ts';
import { tasksFor } from './tasks.ts';

/** Node-facing API: `/v1/enroll` (self-signed with a one-time token) and signed `/v1/node/*`. */
export function nodeRoutes(ctx: Ctx, engine: RoundEngine): Hono {
  const app = new Hono();
  app.post('/v1/enroll', async (c) => c.json(enroll(ctx, parseJsonBytes(new Uint8Array(await c.req.arrayBuffer())))));

  const node = new Hono<NodeAuthVars>();
  node.use('*', nodeAuth(ctx));
  const body = (c: { get(k: 'rawBody'): Uint8Array }) => parseJsonBytes(c.get('rawBody'));
  node.get('/tasks', (c) => c.json({ version: 1, tasks: tasksFor(ctx, c.get('node')) }));
  node.post('/keys/:keyId', (c) => c.json(acceptKeyBundle(ctx, c.get('node'), c.req.param('keyId'), body(c))));
  node.post('/keys/:keyId/ack', (c) => c.json(acceptKeyAck(ctx, c.get('node'), c.req.param('keyId'), body(c))));
  node.post('/jobs/:jobId/rounds/:round/submission', async (c) =>
    c.json(await acceptSubmission(ctx, engine, c.get('node'), c.req.param('jobId'), c.req.param('round'), body(c)))
  );
  node.post('/jobs/:jobId/rounds/:round/refusal', async (c) =>
    c.json(await acceptRefusal(ctx, engine, c.get('node'), c.req.param('jobId'), c.req.param('round'), body(c)))
  );
  node.post('/jobs/:jobId/rounds/:round/decryption', async (c) =>
    c.json(await acceptDecryption(ctx, engine, c.get('node'), c.req.param('jobId'), c.req.param('round'), body(c)))
  );
  node.get('/jobs/:jobId/rounds/:round/ciphertexts', (c) => c.json(roundCiphertexts(ctx, c.get('node'), c.req.param('jobId'), c.req.param('round'))));
  app.route('/v1/node', node);
  return app;
}
