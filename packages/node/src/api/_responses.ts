import { ErrorBodySchema } from './schemas.ts';

const err = (description: string) => ({ content: { 'application/json': { schema: ErrorBodySchema } }, description });

/** Error responses shared by the documented routes (bodies are always `{error:{code,message}}`). */
export const AUTH_ERRORS = {
  401: err('missing, malformed or unknown bearer token'),
} as const;

export const ADMIN_ERRORS = {
  ...AUTH_ERRORS,
  400: err('malformed JSON or a field that fails validation (the message names the field)'),
  403: err('the token is not an admin token, or the node policy refused'),
  413: err('request body larger than 1 MiB'),
} as const;

export const SECURITY = [{ bearer: [] }];
