import {
  CheckpointSubmissionResponseSchema,
  LatestCheckpointResponseSchema,
  isProtocolError,
  receiptMatchesCheckpoint,
  verifyCheckpointReceipt,
} from '@fedmark/protocol';
import {
  CHECKPOINT_BUCKET,
  createLedgerCheckpoint,
  latestAcceptedCheckpoint,
  latestLedgerCheckpoint,
  ledgerConsistencyProof,
  saveCheckpointReceipt,
  syncLedgerMerkle,
  type StoredCheckpoint,
} from '../ledger/index.ts';
import type { AgentContext } from './context.ts';

/**
 * Longest time between two checkpoints (docs/audit.md "When checkpoints are sent": at every release
 * and at least hourly).
 */
export const CHECKPOINT_INTERVAL_MS = 60 * 60 * 1000;
/** Wait after a failed attempt, so an unreachable or older coordinator is not asked every poll. */
export const CHECKPOINT_RETRY_MS = 60 * 1000;

const NEXT_TRY = new WeakMap<AgentContext, number>();

/** True iff a checkpoint is due: none accepted yet, a release after the last one, or an hour passed. */
export function checkpointDue(ctx: AgentContext, last: StoredCheckpoint | undefined): boolean {
  if (!last) return true;
  if (ctx.now() - Date.parse(last.checkpoint.timestamp) >= CHECKPOINT_INTERVAL_MS) return true;
  const release = ctx.db
    .prepare("SELECT max(seq) FROM ledger WHERE type = 'release'")
    .pluck()
    .get() as number | null;
  return release !== null && release >= last.checkpoint.treeSize;
}

/**
 * Signs a checkpoint of the ledger and sends it to the coordinator's transparency log with a
 * consistency proof from the last checkpoint the coordinator accepted from this node; keeps the
 * coordinator's receipt (checked against coordinator.json's key when the node has it). Called
 * once per agent poll; does nothing unless a checkpoint is due. Never throws: a failure is
 * logged and retried after CHECKPOINT_RETRY_MS.
 */
export async function sendCheckpointIfDue(
  ctx: AgentContext
): Promise<StoredCheckpoint | undefined> {
  if ((NEXT_TRY.get(ctx) ?? 0) > ctx.now()) return undefined;
  if (!checkpointDue(ctx, latestAcceptedCheckpoint(ctx.db))) return undefined;
  try {
    const { latest } = await ctx.client.request(
      'GET',
      '/v1/node/checkpoints/latest',
      undefined,
      LatestCheckpointResponseSchema
    );
    // A retry after a refusal reuses the unacknowledged checkpoint of the same ledger size, so
    // repeated failures do not add a stored checkpoint (or padding) per attempt. One signed
    // before padding existed is not reused: only bucket-aligned sizes are sent (docs/audit.md
    // "Checkpoint padding").
    const pending = latestLedgerCheckpoint(ctx.db);
    const reuse =
      pending !== undefined &&
      pending.receipt === null &&
      pending.checkpoint.treeSize % CHECKPOINT_BUCKET === 0 &&
      pending.checkpoint.treeSize === syncLedgerMerkle(ctx.db).size &&
      (latest === null ||
        Date.parse(pending.checkpoint.timestamp) >= Date.parse(latest.checkpoint.timestamp));
    const stored = reuse
      ? pending
      : createLedgerCheckpoint(ctx.db, ctx.identity, new Date(ctx.now()));
    const cp = stored.checkpoint;
    const fromSize = latest?.checkpoint.treeSize ?? 0;
    if (fromSize > cp.treeSize) {
      throw new Error(
        `the coordinator holds a checkpoint of ${fromSize} entries but the ledger has ${cp.treeSize}`
      );
    }
    const consistencyProof =
      fromSize === 0 || fromSize === cp.treeSize
        ? []
        : ledgerConsistencyProof(ctx.db, fromSize, cp.treeSize);
    const { receipt } = await ctx.client.request(
      'POST',
      '/v1/node/checkpoints',
      { version: 1, checkpoint: cp, fromSize, consistencyProof },
      CheckpointSubmissionResponseSchema
    );
    if (
      !receiptMatchesCheckpoint(receipt, cp) ||
      (ctx.coordinatorKey && !verifyCheckpointReceipt(receipt, ctx.coordinatorKey))
    ) {
      throw new Error(
        `receipt for checkpoint ${cp.treeSize} does not match it or is not signed by the coordinator`
      );
    }
    saveCheckpointReceipt(ctx.db, stored.id, receipt);
    NEXT_TRY.delete(ctx);
    ctx.log('checkpoint_sent', { treeSize: cp.treeSize, logIndex: receipt.logIndex });
    return { ...stored, receipt };
  } catch (err) {
    NEXT_TRY.set(ctx, ctx.now() + CHECKPOINT_RETRY_MS);
    const error = isProtocolError(err)
      ? `${err.code}: ${err.message}`
      : err instanceof Error
        ? err.message
        : 'unknown error';
    ctx.log('checkpoint_failed', { error });
    return undefined;
  }
}
