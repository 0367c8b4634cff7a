/**
 * RFC 6962 / RFC 9162 Merkle trees for the node ledger and the coordinator's transparency log:
 * hashing, roots, an O(log n)-memory compact tree, inclusion and consistency proofs with their
 * verifiers, and signed checkpoints (tree heads) with the coordinator's receipts.
 *
 * @example
 * import { MerkleTreeBuilder, leafHash, verifyInclusion } from '@fedmark/protocol';
 * const log = new MerkleTreeBuilder();
 * const i = log.append(leafHash(new TextEncoder().encode('entry')));
 * verifyInclusion(log.leafHash(i), i, log.size, log.inclusionProof(i), log.root()); // true
 */
export { EMPTY_ROOT, MERKLE_HASH_BYTES, leafHash, nodeHash } from './hash.ts';
export {
  MemorySubtreeCache,
  rootAt,
  rootFromLeafHashes,
  type LeafHashAccessor,
  type SubtreeCache,
} from './subtree.ts';
export { CompactMerkleTree, type CompactTreeState, type SubtreeListener } from './compact.ts';
export { MerkleTreeBuilder } from './builder.ts';
export { consistencyProof, inclusionProof } from './proofs.ts';
export { verifyConsistency, verifyInclusion } from './verify.ts';
export {
  CHECKPOINT_DOMAIN,
  CHECKPOINT_LEAF_DOMAIN,
  CHECKPOINT_RECEIPT_DOMAIN,
  CheckpointReceiptSchema,
  CheckpointSchema,
  CheckpointSignedSchema,
  checkpointLeafHash,
  checkpointReceiptSigningPayload,
  checkpointSigningPayload,
  receiptMatchesCheckpoint,
  signCheckpoint,
  signCheckpointReceipt,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyCheckpointReceipt,
  type Checkpoint,
  type CheckpointReceipt,
  type CheckpointSigned,
} from './checkpoint.ts';
export {
  ConsistencyProofSchema,
  InclusionProofSchema,
  MAX_PROOF_HASHES,
  proofFromHex,
  proofToHex,
  type ConsistencyProof,
  type InclusionProof,
} from './wire.ts';
export {
  NonMembershipProofSchema,
  SORTED_SET_ITEM_BYTES,
  SortedSetNeighbourSchema,
  compareItems,
  lowerBound,
  sortedSetNonMembership,
  sortedSetOf,
  sortedSetRoot,
  verifyNonMembership,
  type NonMembershipProof,
  type SortedItemAccessor,
  type SortedSetNeighbour,
} from './sorted-set.ts';
