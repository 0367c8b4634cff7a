import { z } from 'zod';
import { bytesToHex, hexToBytes } from '../hashing.ts';
import { Hash256Schema } from '../schemas/common.ts';

/**
 * Wire forms of proofs served over the auditor API. Hashes travel as lower-case hex. A tree of
 * at most 2^53 leaves has inclusion paths of at most 53 hashes and consistency proofs of at
 * most 54 (RFC 9162 §2.1.3.1, §2.1.4.1), so 64 bounds both without trusting the sender.
 */
export const MAX_PROOF_HASHES = 64;

const SizeSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ProofHexSchema = z.array(Hash256Schema).max(MAX_PROOF_HASHES);

export const InclusionProofSchema = z.object({
  version: z.literal(1),
  leafIndex: SizeSchema,
  treeSize: SizeSchema,
  /** RFC 6962 leaf hash, SHA-256(0x00 || entry bytes). */
  leafHash: Hash256Schema,
  proof: ProofHexSchema,
});
export type InclusionProof = z.infer<typeof InclusionProofSchema>;

export const ConsistencyProofSchema = z.object({
  version: z.literal(1),
  oldSize: SizeSchema,
  newSize: SizeSchema,
  proof: ProofHexSchema,
});
export type ConsistencyProof = z.infer<typeof ConsistencyProofSchema>;

export function proofToHex(proof: readonly Uint8Array[]): string[] {
  return proof.map((h) => bytesToHex(h));
}

/** Decodes hex proof elements; throws a labelled TypeError on anything but 64 hex chars. */
export function proofFromHex(proof: readonly string[]): Uint8Array[] {
  return proof.map((h, i) => {
    if (typeof h !== 'string' || !/^[0-9a-f]{64}$/.test(h)) {
      throw new TypeError(`"proof[${i}]" expected 64 lower-case hex characters`);
    }
    return hexToBytes(h);
  });
}
