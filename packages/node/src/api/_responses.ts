// Internal: the pieces every route of the node's OpenAPI document shares (docs/node-api.md
// "OpenAPI document"): JSON bodies, the error responses and the security requirements.
// Imported first: it adds `.openapi()` to zod schemas created from then on.
import '@hono/zod-openapi';
import { ErrorBodySchema as WireErrorSchema } from '@fedmark/protocol';

/**
 * The one error body, `{error:{code,message}}` (protocol's schema), as the `Error` component.
 * Cloned: protocol's schema may have been built before `.openapi()` existed (zod copies methods
 * onto each schema when it is created).
 */
export const ErrorBodySchema = WireErrorSchema.clone().openapi('Error');

export const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
export const jsonBody = <T>(schema: T, description: string) => ({
  body: { ...json(schema, description), required: true },
});

/** The 4xx statuses the node answers with (HTTP_STATUS in @fedmark/protocol). */
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413;

type ErrorResponse = {
  content: { 'application/json': { schema: typeof ErrorBodySchema } };
  description: string;
};

/** Error responses, each status with why it happens on this route; all share the `Error` body. */
export function errors<const T extends Partial<Record<ErrorStatus, string>>>(
  why: T
): { [K in keyof T]: ErrorResponse } {
  return Object.fromEntries(
    Object.entries(why).map(([status, description]) => [
      status,
      json(ErrorBodySchema, description as string),
    ])
  ) as never;
}

export const WHY = {
  token: 'missing, malformed or unknown bearer token (UNAUTHORIZED)',
  admin: 'an auditor token on an admin endpoint (FORBIDDEN)',
  body: 'malformed JSON, or a body field that fails validation; the message names the field (BAD_REQUEST)',
  query: 'a query parameter that fails validation; the message names it (BAD_REQUEST)',
  tooLarge: 'request body larger than 1 MiB (PAYLOAD_TOO_LARGE)',
  noPolicy: 'the node directory has no policy.json (NOT_FOUND); `fedmark node init` writes one',
  badPolicy: "the node's policy.json is not valid JSON or fails the policy schema (BAD_REQUEST)",
} as const;

/** Every /v1 route: the bearer token of docs/node-api.md "Tokens and roles". */
export const BEARER = [{ bearer: [] }];
/** /health and /openapi.json: no token. */
export const PUBLIC: [] = [];
