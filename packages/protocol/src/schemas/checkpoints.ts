import { z } from 'zod';
import { Hash256Schema } from './common.ts';
import {
  CheckpointReceiptSchema,
  CheckpointSignedSchema,
  ConsistencyProofSchema,
  InclusionProofSchema,
  MAX_PROOF_HASHES,
} from '../merkle/index.ts';

/**
 * Wire messages of the coordinator's transparency log (docs/audit.md). A node sends each signed
 * checkpoint of its ledger with an RFC 9162 consistency proof from the last checkpoint the
 * coordinator accepted from it; the coordinator answers with a signed receipt naming the leaf's
 * index in its own append-only log, or 409 CONFLICT (recorded) when the two are inconsistent.
 */

const SizeSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** POST /v1/node/checkpoints (signed node request). */
export const CheckpointSubmissionSchema = z
  .object({
    version: z.literal(1),
    checkpoint: CheckpointSignedSchema,
    /**
     * Tree size of the predecessor the proof starts from: the size of the last checkpoint the
     * coordinator accepted from this node (GET /v1/node/checkpoints/latest), or 0 for the first.
     */
    fromSize: SizeSchema,
    /** Consistency proof from `fromSize` to `checkpoint.treeSize` (empty when fromSize is 0 or equal). */
    consistencyProof: z.array(Hash256Schema).max(MAX_PROOF_HASHES),
  })
  .superRefine((s, ctx) => {
    if (s.fromSize > s.checkpoint.treeSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['fromSize'],
        message: 'is larger than checkpoint.treeSize',
      });
    }
  });
export type CheckpointSubmission = z.infer<typeof CheckpointSubmissionSchema>;

/** Answer to a submission: the coordinator's signed receipt. */
export const CheckpointSubmissionResponseSchema = z.object({
  version: z.literal(1),
  receipt: CheckpointReceiptSchema,
});
export type CheckpointSubmissionResponse = z.infer<typeof CheckpointSubmissionResponseSchema>;

/** GET /v1/node/checkpoints/latest: the last checkpoint the coordinator accepted from the caller. */
export const LatestCheckpointResponseSchema = z.object({
  version: z.literal(1),
  latest: z
    .object({ checkpoint: CheckpointSignedSchema, receipt: CheckpointReceiptSchema })
    .nullable(),
});
export type LatestCheckpointResponse = z.infer<typeof LatestCheckpointResponseSchema>;

/** One logged checkpoint as auditors see it. */
export const LoggedCheckpointSchema = z.object({
  logIndex: SizeSchema,
  node: z.string(),
  checkpoint: CheckpointSignedSchema,
  receipt: CheckpointReceiptSchema,
});
export type LoggedCheckpoint = z.infer<typeof LoggedCheckpointSchema>;

/** GET /v1/transparency/head: the log's signed head and the key that signed it. */
export const TransparencyHeadSchema = z.object({
  version: z.literal(1),
  head: CheckpointSignedSchema,
  /** Coordinator's Ed25519 public key (hex). Auditors should pin it from enrollment, not trust this copy. */
  coordinatorKey: Hash256Schema,
});
export type TransparencyHead = z.infer<typeof TransparencyHeadSchema>;

export const TransparencyInclusionSchema = InclusionProofSchema;
export const TransparencyConsistencySchema = ConsistencyProofSchema;

/** GET /v1/transparency/nodes/:name/checkpoints. */
export const NodeCheckpointListSchema = z.object({
  version: z.literal(1),
  checkpoints: z.array(LoggedCheckpointSchema),
});
export type NodeCheckpointList = z.infer<typeof NodeCheckpointListSchema>;

/** A checkpoint the coordinator refused as inconsistent with the node's previous one. */
export const CheckpointRefusalSchema = z.object({
  node: z.string(),
  at: z.string(),
  reason: z.string(),
  treeSize: SizeSchema,
  rootHash: Hash256Schema,
  previousTreeSize: SizeSchema,
  previousRootHash: Hash256Schema,
});
export type CheckpointRefusal = z.infer<typeof CheckpointRefusalSchema>;
export const CheckpointRefusalListSchema = z.object({
  version: z.literal(1),
  refusals: z.array(CheckpointRefusalSchema),
});
