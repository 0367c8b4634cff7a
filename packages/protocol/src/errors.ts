import { z } from 'zod';

/**
 * Closed set of error codes shared by node and coordinator. HTTP_STATUS is a
 * Record over the codes, so adding a code without mapping it is a compile error.
 */
export const ERROR_CODES = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  REPLAYED: 'REPLAYED',
  STALE: 'STALE',
  LAYOUT_MISMATCH: 'LAYOUT_MISMATCH',
  KEY_MISMATCH: 'KEY_MISMATCH',
  BAD_CIPHERTEXT: 'BAD_CIPHERTEXT',
  POLICY_REFUSED: 'POLICY_REFUSED',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  QUORUM_NOT_MET: 'QUORUM_NOT_MET',
  DEADLINE_PASSED: 'DEADLINE_PASSED',
  /** The newest key epoch is still being generated or installed: time fixes it (retry). */
  KEY_EPOCH_PENDING: 'KEY_EPOCH_PENDING',
  /** Too many requests from this node: wait the Retry-After seconds (the client retries). */
  RATE_LIMITED: 'RATE_LIMITED',
  IMPORT_INVALID: 'IMPORT_INVALID',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_SIGNATURE: 401,
  REPLAYED: 409,
  STALE: 401,
  LAYOUT_MISMATCH: 400,
  KEY_MISMATCH: 400,
  BAD_CIPHERTEXT: 400,
  POLICY_REFUSED: 403,
  BUDGET_EXCEEDED: 403,
  QUORUM_NOT_MET: 409,
  DEADLINE_PASSED: 409,
  KEY_EPOCH_PENDING: 409,
  RATE_LIMITED: 429,
  IMPORT_INVALID: 400,
  INTERNAL: 500,
};

/** An error whose code is safe to show to the peer. Anything else becomes a bare 500. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  override readonly cause: unknown;
  constructor(code: ErrorCode, message: string, cause?: unknown) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.cause = cause;
  }
}

/**
 * Wire form of an error: `{ error: { code, message } }`. Both servers answer every 4xx with it
 * and document it as the schema of those responses in their OpenAPI documents.
 */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export function errorToWire(err: ProtocolError): ErrorBody {
  return { error: { code: err.code, message: err.message } };
}

/** Rebuilds a typed error from a peer's response body; unknown shapes become INTERNAL. */
export function errorFromWire(
  body: unknown,
  fallbackMessage = 'unexpected response'
): ProtocolError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (typeof e === 'object' && e !== null) {
      const { code, message } = e as { code?: unknown; message?: unknown };
      if (typeof code === 'string' && code in ERROR_CODES && typeof message === 'string') {
        return new ProtocolError(code as ErrorCode, message);
      }
    }
  }
  return new ProtocolError('INTERNAL', fallbackMessage);
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
