import { z } from 'zod';
import {
  AdmitNodeRequestSchema,
  CheckpointRefusalListSchema,
  CheckpointSubmissionResponseSchema,
  CheckpointSubmissionSchema,
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
  LatestCheckpointResponseSchema,
  NodeCheckpointListSchema,
  NodeInfoSchema,
  PROTOCOL_VERSION,
  ReceiptSchema,
  RefusalSchema,
  RoundCiphertextsSchema,
  SubmissionSchema,
  TasksResponseSchema,
  TransparencyConsistencySchema,
  TransparencyHeadSchema,
  TransparencyInclusionSchema,
} from '@fedmark/protocol';

/** `auditor`: the operator or the auditor token (read-only transparency log). */
type Auth = 'operator' | 'auditor' | 'node' | 'none';
interface QueryParam {
  name: string;
  required: boolean;
  description: string;
}
interface Route {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  query?: QueryParam[];
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
  { method: 'get', path: '/v1/jobs/{id}/events', summary: 'Job events after ?after=<seq>', auth: 'operator', query: [{ name: 'after', required: false, description: 'last event sequence number seen (default 0)' }], response: JobEventsResponseSchema },
  { method: 'post', path: '/v1/enroll', summary: 'Node enrolls with a one-time token (self-signed)', auth: 'none', body: EnrollRequestSchema, response: EnrollResponseSchema },
  { method: 'get', path: '/v1/node/tasks', summary: 'Tasks for the calling node', auth: 'node', response: TasksResponseSchema },
  { method: 'post', path: '/v1/node/keys/{keyId}', summary: 'Generator uploads the key bundle', auth: 'node', body: KeyBundleSchema, response: epochResponse },
  { method: 'post', path: '/v1/node/keys/{keyId}/ack', summary: 'Member confirms key installation', auth: 'node', body: KeyAckSchema, response: epochResponse },
  { method: 'post', path: '/v1/node/jobs/{jobId}/rounds/{round}/submission', summary: 'Encrypted contribution', auth: 'node', body: SubmissionSchema, response: ReceiptSchema },
  { method: 'post', path: '/v1/node/jobs/{jobId}/rounds/{round}/refusal', summary: 'Signed refusal with reason', auth: 'node', body: RefusalSchema, response: ReceiptSchema },
  { method: 'post', path: '/v1/node/jobs/{jobId}/rounds/{round}/decryption', summary: 'Signed plaintext of the aggregate', auth: 'node', body: DecryptionSchema, response: z.object({ version: z.literal(1), status: z.string() }) },
  { method: 'get', path: '/v1/node/jobs/{jobId}/rounds/{round}/ciphertexts', summary: 'Contributions summed into the aggregate (decryptors only)', auth: 'node', response: RoundCiphertextsSchema },
  { method: 'post', path: '/v1/node/checkpoints', summary: "Signed ledger checkpoint with a consistency proof from the node's previous one; answers a signed receipt (409 and a recorded refusal if inconsistent)", auth: 'node', body: CheckpointSubmissionSchema, response: CheckpointSubmissionResponseSchema },
  { method: 'get', path: '/v1/node/checkpoints/latest', summary: 'The calling node\'s latest logged checkpoint and receipt', auth: 'node', response: LatestCheckpointResponseSchema },
  { method: 'get', path: '/v1/transparency/head', summary: "Signed head of the coordinator's transparency log", auth: 'auditor', response: TransparencyHeadSchema },
  {
    method: 'get',
    path: '/v1/transparency/proof/inclusion',
    summary: 'RFC 9162 inclusion proof of one log leaf',
    auth: 'auditor',
    query: [
      { name: 'index', required: true, description: 'leaf index' },
      { name: 'size', required: false, description: 'tree size the proof is for (default: current size)' },
    ],
    response: TransparencyInclusionSchema,
  },
  {
    method: 'get',
    path: '/v1/transparency/proof/consistency',
    summary: 'RFC 9162 consistency proof between two log sizes',
    auth: 'auditor',
    query: [
      { name: 'from', required: true, description: 'older tree size' },
      { name: 'to', required: false, description: 'newer tree size (default: current size)' },
    ],
    response: TransparencyConsistencySchema,
  },
  { method: 'get', path: '/v1/transparency/nodes/{name}/checkpoints', summary: "A node's logged checkpoints with their receipts", auth: 'auditor', response: NodeCheckpointListSchema },
  {
    method: 'get',
    path: '/v1/transparency/refusals',
    summary: 'Checkpoints the log refused as inconsistent, and why',
    auth: 'auditor',
    query: [{ name: 'node', required: false, description: 'only this node' }],
    response: CheckpointRefusalListSchema,
  },
];

const SECURITY: Record<Auth, Record<string, string[]>[]> = {
  operator: [{ operatorToken: [] }],
  // OpenAPI: alternatives in the list are OR-ed.
  auditor: [{ operatorToken: [] }, { auditorToken: [] }],
  node: [{ nodeSignature: [] }],
  none: [],
};

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
    const params = [
      ...[...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.query ?? []).map((q) => ({ name: q.name, in: 'query', required: q.required, description: q.description, schema: { type: 'string' } })),
    ];
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      security: SECURITY[r.auth],
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
    info: { title: 'fedmark coordinator', version: String(PROTOCOL_VERSION), description: 'Federated analytics coordinator: enrollment, key ceremony relay, jobs, homomorphic aggregation, transparency log of node checkpoints.' },
    components: {
      securitySchemes: {
        operatorToken: { type: 'http', scheme: 'bearer', description: 'operator.token of the coordinator directory' },
        auditorToken: { type: 'http', scheme: 'bearer', description: 'auditor.token of the coordinator directory: the transparency log only (403 on operator endpoints)' },
        nodeSignature: { type: 'apiKey', in: 'header', name: 'x-fedmark-signature', description: 'Ed25519 over (method, path, body hash, timestamp, nonce, node); see docs/federation-protocol.md' },
      },
    },
    paths,
  };
}
