import { z } from 'zod';
import type { Canonical } from '../encoding.ts';
import { canonicalBytes } from '../encoding.ts';
import { bytesToHex, hexToBytes } from '../hashing.ts';
import { signCanonical, verifyCanonical } from '../signing.ts';
import { Hash256Schema, IdSchema } from '../schemas/common.ts';
import { IsoTimestampSchema, SignatureHexSchema } from '../schemas/federation.ts';
import { EMPTY_ROOT, leafHash } from './hash.ts';
import { verifyConsistency } from './verify.ts';

/**
 * Signed tree heads (docs/merkle.md: sign checkpoints, not every entry, as Certificate
 * Transparency signs tree heads, RFC 6962 §3.5 / RFC 9162 §4.10). A node signs
 * (origin, treeSize, rootHash, timestamp) over its ledger; the coordinator appends the signed
 * checkpoint to its own log and answers with a signed receipt naming the log index.
 */
export const CHECKPOINT_DOMAIN = 'checkpoint';
export const CHECKPOINT_RECEIPT_DOMAIN = 'checkpoint-receipt';
/** Domain of a signed checkpoint's bytes when it becomes a leaf of the coordinator's log. */
export const CHECKPOINT_LEAF_DOMAIN = 'checkpoint-leaf';

const EMPTY_ROOT_HEX = bytesToHex(EMPTY_ROOT);
const TreeSizeSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const checkpointShape = {
  version: z.literal(1),
  /** Name of the log: the node's enrolled name, or the coordinator's for its own log. */
  origin: IdSchema,
  treeSize: TreeSizeSchema,
  rootHash: Hash256Schema,
  timestamp: IsoTimestampSchema,
};

// RFC 6962 §2.1: the only valid root of an empty tree is SHA-256(""); refusing anything else
// stops a signer from committing to an arbitrary value before the log has content.
const emptyTreeRule = (cp: { treeSize: number; rootHash: string }, ctx: z.RefinementCtx): void => {
  if (cp.treeSize === 0 && cp.rootHash !== EMPTY_ROOT_HEX) {
    const message = 'an empty tree must have the root SHA-256("")';
    ctx.addIssue({ code: 'custom', path: ['rootHash'], message });
  }
};

export const CheckpointSchema = z.object(checkpointShape).superRefine(emptyTreeRule);
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export const CheckpointSignedSchema = z
  .object({ ...checkpointShape, signature: SignatureHexSchema })
  .superRefine(emptyTreeRule);
export type CheckpointSigned = z.infer<typeof CheckpointSignedSchema>;

export const CheckpointReceiptSchema = z.object({
  version: z.literal(1),
  origin: IdSchema,
  treeSize: TreeSizeSchema,
  rootHash: Hash256Schema,
  /** 0-based index of the checkpoint's leaf in the coordinator's log. */
  logIndex: TreeSizeSchema,
  receivedAt: IsoTimestampSchema,
  signature: SignatureHexSchema,
});
export type CheckpointReceipt = z.infer<typeof CheckpointReceiptSchema>;

/** Exactly the value a node signs in CHECKPOINT_DOMAIN (every field but the signature). */
export function checkpointSigningPayload(cp: Checkpoint): Canonical {
  return {
    version: cp.version,
    origin: cp.origin,
    treeSize: cp.treeSize,
    rootHash: cp.rootHash,
    timestamp: cp.timestamp,
  };
}

/** Exactly the value the coordinator signs in CHECKPOINT_RECEIPT_DOMAIN. */
export function checkpointReceiptSigningPayload(
  r: Omit<CheckpointReceipt, 'signature'>
): Canonical {
  return {
    version: r.version,
    origin: r.origin,
    treeSize: r.treeSize,
    rootHash: r.rootHash,
    logIndex: r.logIndex,
    receivedAt: r.receivedAt,
  };
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, label: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue === undefined ? label : [label, ...issue.path.map(String)].join('.');
  throw new TypeError(`"${where}" ${issue?.message ?? 'is invalid'}`);
}

/** Validates and signs a checkpoint; throws a labelled TypeError for an invalid field. */
export function signCheckpoint(cp: Checkpoint, secretKey: Uint8Array): CheckpointSigned {
  const valid = parseOrThrow(CheckpointSchema, cp, 'checkpoint');
  const signature = signCanonical(CHECKPOINT_DOMAIN, checkpointSigningPayload(valid), secretKey);
  return { ...valid, signature };
}

/** True iff `cp` is a well-formed signed checkpoint signed by `publicKey`. Never throws. */
export function verifyCheckpoint(cp: unknown, publicKey: Uint8Array): boolean {
  const r = CheckpointSignedSchema.safeParse(cp);
  if (!r.success) return false;
  return verifyCanonical(
    CHECKPOINT_DOMAIN,
    checkpointSigningPayload(r.data),
    r.data.signature,
    publicKey
  );
}

/** Validates and signs the coordinator's receipt for a checkpoint appended at `logIndex`. */
export function signCheckpointReceipt(
  r: Omit<CheckpointReceipt, 'signature'>,
  secretKey: Uint8Array
): CheckpointReceipt {
  const valid = parseOrThrow(CheckpointReceiptSchema.omit({ signature: true }), r, 'receipt');
  const payload = checkpointReceiptSigningPayload(valid);
  return { ...valid, signature: signCanonical(CHECKPOINT_RECEIPT_DOMAIN, payload, secretKey) };
}

/** True iff `r` is a well-formed receipt signed by the coordinator key `publicKey`. Never throws. */
export function verifyCheckpointReceipt(r: unknown, publicKey: Uint8Array): boolean {
  const p = CheckpointReceiptSchema.safeParse(r);
  if (!p.success) return false;
  const payload = checkpointReceiptSigningPayload(p.data);
  return verifyCanonical(CHECKPOINT_RECEIPT_DOMAIN, payload, p.data.signature, publicKey);
}

/** True iff the receipt is for this checkpoint (same origin, size and root). */
export function receiptMatchesCheckpoint(r: CheckpointReceipt, cp: Checkpoint): boolean {
  return r.origin === cp.origin && r.treeSize === cp.treeSize && r.rootHash === cp.rootHash;
}

/**
 * Leaf hash of a signed checkpoint in the coordinator's log: RFC 6962 leaf hash of the
 * canonical bytes of every field, signature included, so the log commits to what the node
 * actually signed and an auditor can recompute it from the checkpoint alone.
 */
export function checkpointLeafHash(cp: CheckpointSigned): Uint8Array {
  const valid = parseOrThrow(CheckpointSignedSchema, cp, 'checkpoint');
  return leafHash(canonicalBytes(CHECKPOINT_LEAF_DOMAIN, { ...valid }));
}

/**
 * True iff `next` extends `prev` for the same origin: sizes do not shrink, time does not run
 * backwards, and `proofHex` is a valid RFC 9162 consistency proof between the two roots. A
 * `prev` of size 0 is extended by every tree (its root is fixed by the schema), so it needs an
 * empty proof. Signatures are not checked here (use verifyCheckpoint). Never throws.
 */
export function verifyCheckpointConsistency(
  prev: Checkpoint,
  next: Checkpoint,
  proofHex: readonly string[]
): boolean {
  try {
    const a = CheckpointSchema.safeParse(prev);
    const b = CheckpointSchema.safeParse(next);
    if (!a.success || !b.success || !Array.isArray(proofHex)) return false;
    if (a.data.origin !== b.data.origin || a.data.treeSize > b.data.treeSize) return false;
    if (Date.parse(b.data.timestamp) < Date.parse(a.data.timestamp)) return false;
    if (a.data.treeSize === 0) return proofHex.length === 0;
    if (!proofHex.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) return false;
    return verifyConsistency(
      a.data.treeSize,
      b.data.treeSize,
      hexToBytes(a.data.rootHash),
      hexToBytes(b.data.rootHash),
      proofHex.map((h) => hexToBytes(h))
    );
  } catch {
    return false;
  }
}
