import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { CheckpointReceiptSchema, CheckpointSignedSchema, ProtocolError } from '@fedmark/protocol';
import type Database from 'better-sqlite3';
import type { NodeIdentity } from '../identity/index.ts';
import {
  ledgerConsistencyProof,
  ledgerInclusionProof,
  listLedgerCheckpoints,
  signLedgerHead,
  syncLedgerMerkle,
} from '../ledger/index.ts';
import type { ApiEnv } from './auth.ts';
import { BEARER, WHY, errors, json } from './_responses.ts';
import { intParam } from './schemas.ts';

const BAD_SIZE = `${WHY.query}; or a size or index outside the ledger (the message names it)`;
const Size = intParam(0, Number.MAX_SAFE_INTEGER);
const Hex = z.string().regex(/^[0-9a-f]{64}$/);

const CheckpointResponse = z
  .object({
    checkpoint: CheckpointSignedSchema,
    stored: z.array(
      z.object({
        id: z.number().int(),
        checkpoint: CheckpointSignedSchema,
        receipt: CheckpointReceiptSchema.nullable(),
      })
    ),
  })
  .openapi('LedgerCheckpoint');
const InclusionResponse = z
  .object({
    version: z.literal(1),
    leafIndex: z.number().int(),
    treeSize: z.number().int(),
    leafHash: Hex,
    proof: z.array(Hex),
  })
  .openapi('LedgerInclusionProof');
const ConsistencyResponse = z
  .object({
    version: z.literal(1),
    oldSize: z.number().int(),
    newSize: z.number().int(),
    proof: z.array(Hex),
  })
  .openapi('LedgerConsistencyProof');

/** Turns a size/index RangeError into a 400 that names it. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RangeError) throw new ProtocolError('BAD_REQUEST', err.message);
    throw err;
  }
}

/**
 * Auditor (read-only, both roles) routes over the ledger's RFC 6962 tree (docs/audit.md): a
 * freshly signed head plus the stored checkpoints and receipts, inclusion of one entry, and
 * consistency between two sizes. They write nothing but the Merkle cache tables.
 */
export function registerLedgerProofRoutes(
  app: OpenAPIHono<ApiEnv>,
  o: { db: Database.Database; identity: NodeIdentity }
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ledger/checkpoint',
      operationId: 'getLedgerCheckpoint',
      tags: ['ledger'],
      summary:
        "the ledger's current signed tree head, and every stored checkpoint with its coordinator receipt",
      security: BEARER,
      responses: {
        200: json(CheckpointResponse, 'signed head and stored checkpoints'),
        ...errors({ 401: WHY.token }),
      },
    }),
    (c) =>
      c.json(
        { checkpoint: signLedgerHead(o.db, o.identity), stored: listLedgerCheckpoints(o.db) },
        200
      )
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ledger/proof/inclusion',
      operationId: 'getLedgerInclusionProof',
      tags: ['ledger'],
      summary:
        'RFC 9162 inclusion proof of entry `index` in the tree of the first `size` entries (default: all)',
      security: BEARER,
      request: { query: z.object({ index: Size, size: Size.optional() }) },
      responses: {
        200: json(InclusionResponse, 'inclusion proof'),
        ...errors({ 400: BAD_SIZE, 401: WHY.token }),
      },
    }),
    (c) => {
      const q = c.req.valid('query');
      const size = q.size ?? syncLedgerMerkle(o.db).size;
      const p = guard(() => ledgerInclusionProof(o.db, q.index, size));
      return c.json(
        {
          version: 1 as const,
          leafIndex: q.index,
          treeSize: size,
          leafHash: p.leafHash,
          proof: p.proof,
        },
        200
      );
    }
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ledger/proof/consistency',
      operationId: 'getLedgerConsistencyProof',
      tags: ['ledger'],
      summary:
        'RFC 9162 consistency proof between the trees of the first `from` and `to` entries (default: all)',
      security: BEARER,
      request: {
        query: z.object({
          from: Size.refine((n) => n >= 1, 'must be at least 1'),
          to: Size.optional(),
        }),
      },
      responses: {
        200: json(ConsistencyResponse, 'consistency proof'),
        ...errors({ 400: BAD_SIZE, 401: WHY.token }),
      },
    }),
    (c) => {
      const q = c.req.valid('query');
      const to = q.to ?? syncLedgerMerkle(o.db).size;
      if (q.from > to)
        throw new ProtocolError(
          'BAD_REQUEST',
          `query field "from": ${q.from} is larger than "to" ${to}`
        );
      const proof = guard(() => ledgerConsistencyProof(o.db, q.from, to));
      return c.json({ version: 1 as const, oldSize: q.from, newSize: to, proof }, 200);
    }
  );
}
