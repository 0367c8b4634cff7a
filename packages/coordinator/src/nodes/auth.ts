import { createMiddleware } from 'hono/factory';
import { REQUEST_WINDOW_MS, hexToBytes, verifyNodeRequest, equalBytes, sha256 } from '@fedmark/protocol';
import { ProtocolError } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';

export interface NodeAuthVars {
  Variables: { node: string; rawBody: Uint8Array };
}

/**
 * Authenticates `/v1/node/*`: the signature covers method, path with query, body hash,
 * timestamp and nonce (protocol/auth). Nonces are persisted, so a replay across a coordinator
 * restart is still refused; they are pruned after twice the accepted clock window.
 */
export function nodeAuth(ctx: Ctx) {
  let lastPrune = 0;
  return createMiddleware<NodeAuthVars>(async (c, next) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const now = ctx.now();
    if (now - lastPrune > 60_000) {
      ctx.store.nodes.pruneNonces(now - 2 * REQUEST_WINDOW_MS);
      lastPrune = now;
    }
    const { node } = verifyNodeRequest({
      method: c.req.method,
      path: url.pathname + url.search,
      body: raw,
      headers: (n) => c.req.header(n),
      publicKeyFor: (name) => {
        const rec = ctx.store.nodes.get(name);
        return rec && !rec.removedAt ? hexToBytes(rec.signingKey) : undefined;
      },
      now,
      seenNonce: (n, nonce) => ctx.store.nodes.recordNonce(n, nonce, now),
    });
    ctx.store.nodes.touch(node, new Date(now).toISOString());
    c.set('node', node);
    c.set('rawBody', raw);
    await next();
  });
}

/** Operator endpoints: `Authorization: Bearer <token>`, compared in constant time (hashes of equal length). */
export function operatorAuth(ctx: Ctx) {
  const expected = sha256(new TextEncoder().encode(ctx.operatorToken));
  return createMiddleware(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m || !equalBytes(sha256(new TextEncoder().encode(m[1] as string)), expected)) {
      throw new ProtocolError('UNAUTHORIZED', 'operator endpoints need Authorization: Bearer <operator token>');
    }
    await next();
  });
}

/** Parses a raw JSON body; malformed JSON is a BAD_REQUEST naming the position. */
export function parseJsonBytes(raw: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (err) {
    throw new ProtocolError('BAD_REQUEST', `malformed JSON in request body: ${err instanceof Error ? err.message : 'invalid'}`);
  }
}
