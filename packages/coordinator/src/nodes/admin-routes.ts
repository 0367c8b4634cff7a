import { Hono } from 'hono';
import type { Ctx } from '../context.ts';
import { epochToWire, requireActiveEpoch, rotateKey } from '../keys/epochs.ts';
import { admitNode, createEnrollmentToken, nodeToWire, removeNode } from './admission.ts';
import { operatorAuth, parseJsonBytes } from './auth.ts';

/** Operator API for membership and keys (bearer token). */
export function adminRoutes(ctx: Ctx): Hono {
  const app = new Hono();
  app.use('*', operatorAuth(ctx));
  const json = async (c: { req: { arrayBuffer(): Promise<ArrayBuffer> } }) => parseJsonBytes(new Uint8Array(await c.req.arrayBuffer()));
  app.get('/nodes', (c) => c.json({ version: 1, nodes: ctx.store.nodes.list().filter((n) => !n.removedAt).map(nodeToWire) }));
  app.post('/nodes', async (c) => c.json(admitNode(ctx, await json(c)), 201));
  app.delete('/nodes/:name', (c) => c.json(removeNode(ctx, c.req.param('name'))));
  app.post('/enrollment-tokens', async (c) => c.json(createEnrollmentToken(ctx, await json(c)), 201));
  app.get('/keys', (c) => c.json({ version: 1, epochs: ctx.store.keys.list().map(epochToWire) }));
  app.post('/keys/rotate', (c) => {
    const e = ctx.store.transaction(() => rotateKey(ctx, 'operator request'));
    return c.json({ version: 1, epoch: e ? epochToWire(e) : null }, 201);
  });
  app.get('/keys/active', (c) => c.json({ version: 1, epoch: epochToWire(requireActiveEpoch(ctx)) }));
  return app;
}
