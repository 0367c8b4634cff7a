import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createMiddleware } from 'hono/factory';
import {
  REQUEST_WINDOW_MS,
  checkNodeRequestHeaders,
  decodeRequestBody,
  hexToBytes,
  verifyNodeRequest,
  equalBytes,
  sha256,
} from '@fedmark/protocol';
import { ProtocolError, errorToWire } from '@fedmark/protocol';
import { MAX_BODY_BYTES } from '../body-limit.ts';
import type { Ctx } from '../context.ts';

export interface NodeAuthVars {
  Variables: { node: string; rawBody: Uint8Array };
}

/** The peer's address on a real socket; undefined in-process (app.request without a server). */
function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** 429 RATE_LIMITED with Retry-After. */
function rateLimited(c: Context, what: string, retryAfterSeconds: number): Response {
  return c.json(
    errorToWire(new ProtocolError('RATE_LIMITED', `${what}; retry in ${retryAfterSeconds} s`)),
    429,
    { 'retry-after': String(retryAfterSeconds) }
  );
}

/**
 * Authenticates `/v1/node/*`: the signature covers method, path with query, body hash,
 * timestamp and nonce (protocol/auth). Nonces are persisted, so a replay across a coordinator
 * restart is still refused; they are pruned after twice the accepted clock window. The headers
 * are checked, and the node must be admitted, before the body is read: an unsigned or unknown
 * sender is refused without the coordinator buffering its body.
 */
export function nodeAuth(ctx: Ctx) {
  let lastPrune = 0;
  const publicKeyFor = (name: string) => {
    const rec = ctx.store.nodes.get(name);
    return rec && !rec.removedAt ? hexToBytes(rec.signingKey) : undefined;
  };
  return createMiddleware<NodeAuthVars>(async (c, next) => {
    // Per address first, before any header is read: a flood costs a map lookup per request.
    const address = remoteAddress(c);
    const fromAddress =
      address === undefined ? { ok: true as const } : ctx.addressRateLimiter.take(address);
    if (!fromAddress.ok) {
      c.header('connection', 'close');
      return rateLimited(
        c,
        `address ${address} sent too many requests`,
        fromAddress.retryAfterSeconds
      );
    }
    let checked: ReturnType<typeof checkNodeRequestHeaders>;
    try {
      checked = checkNodeRequestHeaders((n) => c.req.header(n), publicKeyFor);
    } catch (err) {
      // Close the connection with the refusal: kept alive, the server would read and discard
      // the rest of an unread body (up to the body limit) to reuse the socket.
      c.header('connection', 'close');
      throw err;
    }
    // A large body may come gzip-compressed (protocol request-body.ts): inflated here, capped at
    // the body limit, so the signature below is checked over the JSON text the node signed.
    const raw = decodeRequestBody(
      new Uint8Array(await c.req.arrayBuffer()),
      c.req.header('content-encoding'),
      MAX_BODY_BYTES
    );
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
      publicKeyFor,
      now,
      seenNonce: (n, nonce) => ctx.store.nodes.recordNonce(n, nonce, now),
      checked,
    });
    // After the signature verified: nobody can spend another node's allowance by naming it.
    const allowed = ctx.nodeRateLimiter.take(node);
    if (!allowed.ok)
      return rateLimited(c, `node ${node} sent too many requests`, allowed.retryAfterSeconds);
    ctx.store.nodes.touch(node, new Date(now).toISOString());
    c.set('node', node);
    c.set('rawBody', raw);
    await next();
    return undefined;
  });
}

/** Who a bearer token belongs to. The auditor role reads the transparency log and nothing else. */
export type TokenRole = 'operator' | 'auditor';

const tokenHash = (token: string): Uint8Array => sha256(new TextEncoder().encode(token));

/**
 * The role of a presented token, or undefined. Both expected tokens are compared every time, on
 * SHA-256 hashes of equal length with a constant-time comparison, so neither the timing nor the
 * order of the checks tells a caller how close a guess was or which role it nearly matched.
 */
export function tokenRoleOf(ctx: Ctx): (token: string) => TokenRole | undefined {
  const operator = tokenHash(ctx.operatorToken);
  const auditor = ctx.auditorToken === undefined ? undefined : tokenHash(ctx.auditorToken);
  return (token) => {
    const presented = tokenHash(token);
    const isOperator = equalBytes(presented, operator);
    // Against a dummy hash when no auditor token is configured: same work either way.
    const isAuditor = equalBytes(presented, auditor ?? operator) && auditor !== undefined;
    return isOperator ? 'operator' : isAuditor ? 'auditor' : undefined;
  };
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer (\S+)$/.exec(header ?? '')?.[1];
}

/**
 * Bearer-token endpoints open to the given roles. No or an unknown token: 401 UNAUTHORIZED; a
 * valid token of another role (the auditor's on an operator endpoint): 403 FORBIDDEN.
 */
export function roleAuth(ctx: Ctx, allowed: readonly TokenRole[]) {
  const roleOf = tokenRoleOf(ctx);
  const label = allowed.includes('auditor') ? 'auditor' : 'operator';
  const wanted = allowed.map((r) => `<${r} token>`).join(' or ');
  return createMiddleware(async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    const role = token === undefined ? undefined : roleOf(token);
    if (!role)
      throw new ProtocolError(
        'UNAUTHORIZED',
        `${label} endpoints need Authorization: Bearer ${wanted}`
      );
    if (!allowed.includes(role))
      throw new ProtocolError(
        'FORBIDDEN',
        `the ${role} token may not use this endpoint (it needs the ${allowed.join(' or ')} token)`
      );
    await next();
  });
}

/** Operator endpoints: `Authorization: Bearer <operator token>`; the auditor token gets 403. */
export function operatorAuth(ctx: Ctx) {
  return roleAuth(ctx, ['operator']);
}

/** Parses a raw JSON body; malformed JSON is a BAD_REQUEST naming the position. */
export function parseJsonBytes(raw: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (err) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `malformed JSON in request body: ${err instanceof Error ? err.message : 'invalid'}`
    );
  }
}
