// Internal, tests only: the checks both servers' openapi.test.ts run on their served
// /openapi.json (docs/node-api.md and docs/coordinator.md, "OpenAPI document").
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

export interface OpenApiDocument {
  openapi: string;
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** Every operation of the document with its method and path. */
export function operationsOf(
  doc: OpenApiDocument
): { method: string; path: string; op: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method, path, op }))
  );
}

/** swagger-parser's validation (OpenAPI 3.x schema and $refs); throws on an invalid document. */
export async function validateOpenApi(doc: OpenApiDocument): Promise<unknown> {
  return SwaggerParser.validate(structuredClone(doc) as never);
}

/**
 * Redocly's `recommended` ruleset with one rule off and one location ignored (the form
 * `redocly lint --generate-ignore-file` writes), each for a stated reason:
 * - info-license: the project publishes no licence (private packages, no LICENSE file), so the
 *   document names none rather than claim terms nobody granted;
 * - operation-4xx-response on GET /health and GET /openapi.json: they take no credentials,
 *   parameters or body, so no 4xx answer exists to document.
 * `ref` only labels the document in the problems.
 */
export async function redoclyProblems(doc: OpenApiDocument, ref: string): Promise<string[]> {
  const config = await createConfig(
    { extends: ['recommended'], rules: { 'info-license': 'off' } },
    {
      ignore: {
        [ref]: {
          'operation-4xx-response': new Set([
            '#/paths/~1health/get/responses',
            '#/paths/~1openapi.json/get/responses',
          ]),
        },
      },
    }
  );
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: ref, config });
  return problems
    .filter((p) => !p.ignored)
    .map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
}

/** The documented 4xx statuses per operationId, e.g. `{ getJob: '401 403 404' }`. */
export function documented4xx(doc: OpenApiDocument): Record<string, string> {
  return Object.fromEntries(
    operationsOf(doc).map(({ op }) => [
      op.operationId,
      Object.keys(op.responses)
        .filter((s) => s.startsWith('4'))
        .join(' '),
    ])
  );
}

/** `operationId status` of every 4xx response whose body is not the shared `Error` schema. */
export function errorResponsesWithoutErrorSchema(doc: OpenApiDocument): string[] {
  const bad: string[] = [];
  for (const { op } of operationsOf(doc)) {
    for (const [status, response] of Object.entries(op.responses)) {
      const ref = (response as { content?: Record<string, { schema?: { $ref?: string } }> })
        .content?.['application/json']?.schema?.$ref;
      if (status.startsWith('4') && ref !== '#/components/schemas/Error')
        bad.push(`${op.operationId} ${status}`);
    }
  }
  return bad;
}
