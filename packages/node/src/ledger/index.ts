/**
 * The node's append-only, hash-chained ledger (docs/node-data.md "The ledger"; entry format in
 * protocol/src/schemas/ledger.ts). Entries hold pseudonyms only; personal detail goes to a
 * private side table that erasure may delete while every hash still verifies.
 *
 * @example
 * import { appendLedgerEntry, verifyLedger } from './ledger/index.ts';
 * appendLedgerEntry(db, { type: 'policy_change', body: { field: 'minCohort', from: 10, to: 20 } });
 * verifyLedger(db); // { ok: true, size: 2, head: '…' }
 */
export { appendLedgerEntries, appendLedgerEntry, type AppendLedgerInput } from './append.ts';
/** Entries in seq order, optionally filtered (fromSeq, type, subject) and limited. */
export { listLedger, ledgerSize, ledgerEntryLeafBytes, type ListLedgerOptions } from './list.ts';
/** Recomputes the whole chain; names the first bad entry. */
export { verifyLedger, type VerifyLedgerResult, type VerifyLedgerOptions } from './verify.ts';
/** RFC 6962 tree over the ledger: heads, inclusion and consistency proofs (docs/audit.md). */
export {
  syncLedgerMerkle,
  ledgerRootAt,
  ledgerInclusionProof,
  ledgerConsistencyProof,
  ledgerLeafAccessor,
  ledgerRowLeafHash,
  ledgerEntryLeafHash,
  fastLeafHash,
  ledgerSubtreeCache,
  MERKLE_MIN_LEVEL,
} from './merkle.ts';
/** Signed checkpoints of the ledger and the coordinator's receipts. */
export {
  createLedgerCheckpoint,
  signLedgerHead,
  saveCheckpointReceipt,
  listLedgerCheckpoints,
  latestLedgerCheckpoint,
  latestAcceptedCheckpoint,
  type StoredCheckpoint,
} from './checkpoints.ts';
/** Checkpoint padding: every checkpoint covers a multiple of CHECKPOINT_BUCKET entries (docs/audit.md). */
export { CHECKPOINT_BUCKET, padLedgerToBucket } from './padding.ts';
