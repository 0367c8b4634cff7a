import { createMiddleware } from 'hono/factory';
import { ProtocolError } from '@fedmark/protocol';
import { roleForToken, type ApiRole, type ApiToken } from './tokens.ts';

export type ApiEnv = { Variables: { role: ApiRole } };

const BEARER_RE = /^Bearer ([\x21-\x7e]{1,512})$/;

/** Every /v1 route: a known bearer token or 401. Sets the caller's role for `requireAdmin`. */
export function authenticate(tokens: readonly ApiToken[]) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined)
      throw new ProtocolError(
        'UNAUTHORIZED',
        'missing bearer token (send Authorization: Bearer <token>; tokens are in <node-dir>/api-tokens.json)'
      );
    const m = BEARER_RE.exec(header);
    const role = m ? roleForToken(tokens, m[1] as string) : null;
    if (role === null) throw new ProtocolError('UNAUTHORIZED', 'unknown or malformed bearer token');
    c.set('role', role);
    await next();
  });
}

/** Admin-only routes: an auditor token is authenticated but not allowed (403). */
export const requireAdmin = createMiddleware<ApiEnv>(async (c, next) => {
  if (c.get('role') !== 'admin')
    throw new ProtocolError(
      'FORBIDDEN',
      `this endpoint needs the admin role; the token has role ${c.get('role')}`
    );
  await next();
});
