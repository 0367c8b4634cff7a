import {
  CheckpointSubmissionSchema,
  ProtocolError,
  checkpointLeafHash,
  hexToBytes,
  signCheckpointReceipt,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  type CheckpointSubmissionResponse,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { zodMessage } from '../zod-message.ts';
import type { TransparencyLog } from './log-store.ts';

/**
 * POST /v1/node/checkpoints for the authenticated `node`: checks the checkpoint is the node's own
 * and signed with its admitted key, that it extends the last checkpoint this log accepted from
 * the node (RFC 9162 consistency proof, via verifyCheckpointConsistency), appends it and returns
 * a signed receipt. An inconsistent checkpoint is refused with 409 CONFLICT and recorded: it is
 * the evidence that the node's history was rewritten. Resending an already logged checkpoint
 * returns its original receipt (a retry after a lost answer).
 */
export function acceptCheckpoint(
  ctx: Ctx,
  log: TransparencyLog,
  node: string,
  body: unknown
): CheckpointSubmissionResponse {
  const parsed = CheckpointSubmissionSchema.safeParse(body);
  if (!parsed.success)
    throw new ProtocolError('BAD_REQUEST', `checkpoint submission: ${zodMessage(parsed.error)}`);
  const { checkpoint: cp, fromSize, consistencyProof } = parsed.data;
  if (cp.origin !== node) {
    throw new ProtocolError(
      'FORBIDDEN',
      `checkpoint origin "${cp.origin}" is not the authenticated node "${node}"`
    );
  }
  const rec = ctx.store.nodes.get(node);
  if (!rec || rec.removedAt) throw new ProtocolError('FORBIDDEN', `node "${node}" is not admitted`);
  if (!verifyCheckpoint(cp, hexToBytes(rec.signingKey))) {
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `checkpoint of size ${cp.treeSize} is not signed by ${node}'s admitted key`
    );
  }
  const leaf = checkpointLeafHash(cp);
  // The refusal is recorded inside the transaction and thrown after it commits.
  const outcome = log.transaction((): CheckpointSubmissionResponse | { refused: string } => {
    const again = log.findLeaf(node, leaf);
    if (again) return { version: 1 as const, receipt: again.receipt };
    const prev = log.latestFor(node);
    if (prev) {
      if (fromSize !== prev.checkpoint.treeSize) {
        throw new ProtocolError(
          'CONFLICT',
          `consistency proof starts at size ${fromSize}, but the last checkpoint accepted from ${node} has size ${prev.checkpoint.treeSize} (GET /v1/node/checkpoints/latest)`
        );
      }
      if (!verifyCheckpointConsistency(prev.checkpoint, cp, consistencyProof)) {
        const reason =
          cp.treeSize < prev.checkpoint.treeSize
            ? `tree shrank from ${prev.checkpoint.treeSize} to ${cp.treeSize} entries`
            : Date.parse(cp.timestamp) < Date.parse(prev.checkpoint.timestamp)
              ? 'timestamp is earlier than the previous checkpoint'
              : `not consistent with the checkpoint of size ${prev.checkpoint.treeSize} at log index ${prev.logIndex} (history rewritten?)`;
        log.recordRefusal({
          node,
          at: ctx.iso(),
          reason,
          treeSize: cp.treeSize,
          rootHash: cp.rootHash,
          previousTreeSize: prev.checkpoint.treeSize,
          previousRootHash: prev.checkpoint.rootHash,
        });
        ctx.log(`checkpoint refused: node ${node} size ${cp.treeSize}: ${reason}`, 'warn');
        return { refused: reason };
      }
    }
    const receivedAt = ctx.iso();
    const logged = log.append(node, leaf, cp, (logIndex) =>
      signCheckpointReceipt(
        {
          version: 1,
          origin: cp.origin,
          treeSize: cp.treeSize,
          rootHash: cp.rootHash,
          logIndex,
          receivedAt,
        },
        ctx.coordinatorKey.secretKey
      )
    );
    return { version: 1 as const, receipt: logged.receipt };
  });
  if ('refused' in outcome)
    throw new ProtocolError('CONFLICT', `checkpoint refused and recorded: ${outcome.refused}`);
  return outcome;
}
