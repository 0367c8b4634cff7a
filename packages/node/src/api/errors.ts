import { HTTPException } from 'hono/http-exception';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  HTTP_STATUS,
  ProtocolError,
  errorToWire,
  isProtocolError,
  type ErrorCode,
} from '@fedmark/protocol';
import type { z } from 'zod';

const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
};

/** "field "a.b[0]": message" for the first zod issue: names the field, never echoes the value. */
export function describeZodError(error: z.ZodError, target: string): string {
  const issue = error.issues[0];
  if (!issue) return `invalid ${target}`;
  const path = issue.path.reduce<string>(
    (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
    ''
  );
  return `${target === 'json' ? 'body' : target} field "${path || '(top level)'}": ${issue.message}`;
}

/**
 * The app's single error handler (STYLE §5): a ProtocolError becomes `{error:{code,message}}`
 * with its mapped status; a hono HTTPException below 500 (e.g. the validator's malformed-JSON
 * 400) becomes the same shape; anything else is logged and answered with a bare 500 that leaks
 * nothing about the cause.
 */
export function handleError(log: (message: string, err: unknown) => void) {
  return (err: Error, c: Context): Response => {
    if (isProtocolError(err)) {
      if (err.code === 'UNAUTHORIZED') c.header('WWW-Authenticate', 'Bearer realm="fedmark-node"');
      return c.json(errorToWire(err), HTTP_STATUS[err.code] as ContentfulStatusCode);
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = CODE_FOR_STATUS[err.status] ?? 'BAD_REQUEST';
      return c.json(
        errorToWire(new ProtocolError(code, err.message || code)),
        err.status as ContentfulStatusCode
      );
    }
    log('node API: unhandled error', err);
    return c.text('Internal Server Error', 500);
  };
}
