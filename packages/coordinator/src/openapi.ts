import { z } from 'zod';
import {
  AdmitNodeRequestSchema,
  DecryptionSchema,
  EnrollRequestSchema,
  EnrollResponseSchema,
  EnrollmentTokenRequestSchema,
  EnrollmentTokenResponseSchema,
  JobEventsResponseSchema,
  JobListResponseSchema,
  JobResultSchema,
  JobSpecSchema,
  JobStatusSchema,
  KeyAckSchema,
  KeyBundleSchema,
  KeyEpochSchema,
  NodeInfoSchema,
  PROTOCOL_VERSION,
  ReceiptSchema,
  RefusalSchema,
  RoundCiphertextsSchema,
  SubmissionSchema,
  TasksResponseSchema,
} from '@fedmark/protocol';

type Auth = 'operator' | 'node' | 'none';
interface Route {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  response?: z.ZodType;
  status?: number;
}

const epochResponse = z.object({ version: z.literal(1), epoch: KeyEpochSchema.nullable() });

/** Every endpoint of the coordinator; the OpenAPI document is generated from this table. */
export const ROUTES: Route[] = [
  { method: 'get', path: '/health', summary: 'Liveness', auth: 'none', response: z.object({ ok: z.boolean(), version: z.number() }) },
  { method: 'get', path: '/openapi.json', summary: 'This document', auth: 'none' },
  { method: 'get', path: '/v1/admin/nodes', summary: 'List admitted nodes', auth: 'operator', response: z.object({ version: z.literal(1), nodes: z.array(NodeInfoSchema) }) },
  { method: 'post', path: '/v1/admin/nodes', summary: 'Admit a node by its public keys (starts a new key epoch)', auth: 'operator', body: AdmitNodeRequestSchema, response: NodeInfoSchema, status: 201 },
  { method: 'delete', path: '/v1/admin/nodes/{name}', summary: 'Remove a node (starts a new key epoch)', auth: 'operator', response: NodeInfoSchema },
  { method: 'post', path: '/v1/admin/enrollment-tokens', summary: 'One-time enrollment token for a node name', auth: 'operator', body: EnrollmentTokenRequestSchema, response: EnrollmentTokenResponseSchema, status: 201 },
  { method: 'get', path: '/v1/admin/keys', summary: 'Key epochs', auth: 'operator', response: z.object({ version: z.literal(1), epochs: z.array(KeyEpochSchema) }) },
  { method: 'get', path: '/v1/admin/keys/active', summary: 'The epoch new jobs use (409 if none is active)', auth: 'operator', response: epochResponse },
  { method: 'post', path: '/v1/admin/keys/rotate', summary: 'Start a new key epoch for the current members', auth: 'operator', response: epochResponse, status: 201 },
  { method: 'post', path: '/v1/jobs', summary: 'Create a job (JobSpec) on the active key epoch', auth: 'operator', body: JobSpecSchema, response: JobStatusSchema, status: 201 },
  { method: 'get', path: '/v1/jobs', summary: 'List jobs', auth: 'operator', response: JobListResponseSchema },
  { method: 'get', path: '/v1/jobs/{id}', summary: 'Job progress per round and participant', auth: 'operator', response: JobStatusSchema },
  { method: 'get', path: '/v1/jobs/{id}/result', summary: 'Published rounds with estimates and 95% intervals', auth: 'operator', response: JobResultSchema },
  { method: 'get', path: '/v1/jobs/{id}/events', summary: 'Job events after ?after=<seq>', auth: 'operator', response: JobEventsResponseSchema },
  { method: 'post', path: '/v1/enroll', summary: 'Node enrolls with a one-time token (self-signed)', auth: 'none', body: EnrollRequestSchema, response: EnrollResponseSchema },
  { method: 'get', path: '/v1/node/tasks', summary: 'Tasks for the calling node', auth: 'node', response: TasksResponseSchema },
  { method: 'post', path: '/v1/node/keys/{keyId}', summary: 'Generator uploads the key bundle', auth: 'node', body: KeyBundleSchema, response: epochResponse },
  { method: 'post', path: '/v1/node/keys/{keyId}/ack', summary: 'Member confirms key installation', auth: 'node', body: KeyAckSchema, response: epochResponse },
  { method: 'post', path: '/v1/node/jobs/{jobId}/rounds/{round}/submission', summary: 'Encrypted contribution', auth: 'node', body: SubmissionSchema, response: ReceiptSchema },
  { method: 'post', path: '/v1/node/jobs/{jobId}/rounds/{round}/refusal', summary: 'Signed refusal with reason', auth: 'node', body: RefusalSchema, response: ReceiptSchema },
  { method: 'post', path: '/v1/node/jobs/{jobId}/rounds/{round}/decryption', summary: 'Signed plaintext of the aggregate', auth: 'node', body: DecryptionSchema, response: z.object({ version: z.literal(1), status: z.string() }) },
  { method: 'get', path: '/v1/node/jobs/{jobId}/rounds/{round}/ciphertexts', summary: 'Contributions summed into the aggregate (decryptors only)', auth: 'node', response: RoundCiphertextsSchema },
];

const ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
};

function jsonSchema(s: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' });
}

/** OpenAPI 3 document of the coordinator API, generated from the protocol's zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const security = r.auth === 'operator' ? [{ operatorToken: [] }] : r.auth === 'node' ? [{ nodeSignature: [] }] : [];
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      security,
      parameters: params,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses: {
        [String(r.status ?? 200)]: { description: 'OK', ...(r.response ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } } : {}) },
        default: { description: 'Error', content: { 'application/json': { schema: ERROR_SCHEMA } } },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'fedmark coordinator', version: String(PROTOCOL_VERSION), description: 'Federated analytics coordinator: enrollment, key ceremony relay, jobs, homomorphic aggregation.' },
    components: {
      securitySchemes: {
        operatorToken: { type: 'http', scheme: 'bearer' },
        nodeSignature: { type: 'apiKey', in: 'header', name: 'x-fedmark-signature', description: 'Ed25519 over (method, path, body hash, timestamp, nonce, node); see docs/federation-protocol.md' },
      },
    },
    paths,
  };
}
