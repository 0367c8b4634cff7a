import {
  bytesToHex,
  checkpointLeafHash,
  hexToBytes,
  isProtocolError,
  receiptMatchesCheckpoint,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyCheckpointReceipt,
  verifyInclusion,
  type Checkpoint,
  type CheckpointReceipt,
  type CheckpointSigned,
} from '@fedmark/protocol';
import { locateChange, type RootAnchor } from '../ledger/locate.ts';
import type { CoordinatorView } from './coordinator-view.ts';
import type { RecomputedTree } from './recompute.ts';
import type { StoredCheckpointForm } from './source.ts';
import type { AuditCheck, AuditCheckName } from './verify-node.ts';

// The checkpoint checks of auditNode: stored checkpoints against the recomputed tree, and the
// coordinator's transparency log against both.

export const pass = (check: AuditCheckName, detail: string): AuditCheck => ({
  check,
  ok: true,
  detail,
});
export const fail = (check: AuditCheckName, detail: string, firstBadSeq?: number): AuditCheck => ({
  check,
  ok: false,
  detail,
  ...(firstBadSeq === undefined ? {} : { firstBadSeq }),
});

/**
 * Compares checkpoints with the recomputed tree; fails at the first that the ledger no longer
 * matches and names the first altered entry, or the lowest it can be, from every checkpoint at
 * hand (ledger/locate.ts): `support` only helps prove a prefix intact. A bad chain entry is
 * named instead when the chain already failed (it is exact).
 */
export function compareRoots(
  check: AuditCheckName,
  who: string,
  cps: readonly RootAnchor[],
  tree: RecomputedTree,
  chainBad: number | undefined,
  support: readonly RootAnchor[] = []
): AuditCheck {
  const at = locateChange(who, cps, support, tree.size, (n) => tree.rootsAt.get(n));
  if (at) return fail(check, at.detail, chainBad ?? at.firstBadSeq);
  return pass(check, `${cps.length} ${who} checkpoint(s) match the recomputed tree`);
}

/**
 * Checkpoints as anchors for locateChange: trusted when a receipt matching the checkpoint is
 * signed by the coordinator key (the node cannot forge that), node-signed only otherwise.
 */
export function anchorsOf(
  cps: readonly { checkpoint: Checkpoint; receipt: CheckpointReceipt | null }[],
  coordinatorKey: Uint8Array | undefined
): RootAnchor[] {
  return cps.map(({ checkpoint, receipt }) => ({
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash,
    timestamp: checkpoint.timestamp,
    trusted:
      receipt !== null &&
      coordinatorKey !== undefined &&
      receiptMatchesCheckpoint(receipt, checkpoint as CheckpointSigned) &&
      verifyCheckpointReceipt(receipt, coordinatorKey),
  }));
}

export function errorText(err: unknown): string {
  if (isProtocolError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Consecutive checkpoints (by size) with RFC 9162 proofs from the recomputed tree. */
export function consecutive(
  check: AuditCheckName,
  who: string,
  cps: readonly CheckpointSigned[],
  tree: RecomputedTree,
  chainBad?: number
): AuditCheck {
  const sorted = [...cps].sort(
    (a, b) => a.treeSize - b.treeSize || Date.parse(a.timestamp) - Date.parse(b.timestamp)
  );
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as CheckpointSigned;
    const next = sorted[i] as CheckpointSigned;
    let proof: string[];
    try {
      proof =
        prev.treeSize === 0 || prev.treeSize === next.treeSize
          ? []
          : tree.consistency(prev.treeSize, next.treeSize);
    } catch (err) {
      return fail(
        check,
        `cannot prove ${who} checkpoint ${prev.treeSize} -> ${next.treeSize}: ${errorText(err)}`,
        chainBad ?? tree.size
      );
    }
    if (!verifyCheckpointConsistency(prev, next, proof)) {
      return fail(
        check,
        `${who} checkpoints of ${prev.treeSize} and ${next.treeSize} entries are not consistent (history changed between them)`,
        chainBad ?? prev.treeSize
      );
    }
  }
  return pass(
    check,
    `${Math.max(0, sorted.length - 1)} consecutive ${who} checkpoint pair(s) consistent`
  );
}

export async function coordinatorChecks(
  view: CoordinatorView | null,
  viewError: string | null,
  node: string,
  nodeKey: Uint8Array,
  pinned: Uint8Array | undefined,
  stored: readonly StoredCheckpointForm[],
  tree: RecomputedTree,
  chainBad: number | undefined,
  notes: string[]
): Promise<AuditCheck[]> {
  if (!view)
    return [
      fail(
        'coordinator_head',
        `could not read the coordinator's log: ${viewError ?? 'unknown error'}`
      ),
    ];
  const out: AuditCheck[] = [];
  const key = pinned ?? hexToBytes(view.head.coordinatorKey);
  if (!pinned)
    notes.push(
      'coordinator key not pinned (no coordinator.json): using the key the coordinator reported'
    );
  const headOk =
    verifyCheckpoint(view.head.head, key) &&
    (!pinned || bytesToHex(pinned) === view.head.coordinatorKey);
  out.push(
    headOk
      ? pass(
          'coordinator_head',
          `log head of ${view.head.head.treeSize} checkpoints signed by the coordinator`
        )
      : fail('coordinator_head', "the coordinator's log head is not signed by the coordinator key")
  );

  const logged = view.checkpoints;
  const badLogged = logged.find(
    (l) =>
      l.checkpoint.origin !== node ||
      !verifyCheckpoint(l.checkpoint, nodeKey) ||
      l.receipt.logIndex !== l.logIndex ||
      !receiptMatchesCheckpoint(l.receipt, l.checkpoint) ||
      !verifyCheckpointReceipt(l.receipt, key)
  );
  out.push(
    badLogged
      ? fail(
          'coordinator_checkpoints',
          `logged checkpoint at index ${badLogged.logIndex} is not a valid ${node} checkpoint with its receipt`
        )
      : pass(
          'coordinator_checkpoints',
          `${logged.length} checkpoint(s) of ${node} in the log, each signed by the node and receipted`
        )
  );

  const latest = logged[logged.length - 1];
  if (!latest) {
    out.push(fail('coordinator_inclusion', `the coordinator's log holds no checkpoint of ${node}`));
    return out;
  }
  // The newest logged checkpoint, and the one our newest receipt names, must be in the signed head.
  const targets = [latest];
  const lastReceipt = [...stored].reverse().find((s) => s.receipt !== null);
  if (lastReceipt?.receipt) {
    const named = logged.find((l) => l.logIndex === lastReceipt.receipt?.logIndex);
    if (
      !named ||
      checkpointLeafHex(named.checkpoint) !== checkpointLeafHex(lastReceipt.checkpoint)
    ) {
      out.push(
        fail(
          'coordinator_inclusion',
          `the log does not hold, at index ${lastReceipt.receipt.logIndex}, the checkpoint the node's receipt names`
        )
      );
      return out;
    }
    if (named !== latest) targets.push(named);
  }
  for (const t of targets) {
    const proof = await view.inclusion(t.logIndex, view.head.head.treeSize);
    const ok =
      headOk &&
      proof.leafHash === checkpointLeafHex(t.checkpoint) &&
      verifyInclusion(
        checkpointLeafHash(t.checkpoint),
        t.logIndex,
        view.head.head.treeSize,
        proof.proof.map(hexToBytes),
        hexToBytes(view.head.head.rootHash)
      );
    if (!ok) {
      out.push(
        fail(
          'coordinator_inclusion',
          `checkpoint at log index ${t.logIndex} is not provably included in the signed log head`
        )
      );
      return out;
    }
  }
  out.push(
    pass(
      'coordinator_inclusion',
      `latest checkpoint (${latest.checkpoint.treeSize} entries) included at log index ${latest.logIndex}`
    )
  );

  // The current ledger must extend every logged checkpoint: the check a rewritten chain fails.
  // Every logged checkpoint is coordinator evidence; so is a stored one with a valid receipt.
  const roots = compareRoots(
    'coordinator_consistency',
    'coordinator-logged',
    logged.map((l) => ({
      treeSize: l.checkpoint.treeSize,
      rootHash: l.checkpoint.rootHash,
      timestamp: l.checkpoint.timestamp,
      trusted: true,
    })),
    tree,
    chainBad,
    anchorsOf(stored, key)
  );
  if (!roots.ok) {
    out.push(roots);
    return out;
  }
  const current: Checkpoint = {
    version: 1,
    origin: node,
    treeSize: tree.size,
    rootHash: tree.root,
    timestamp: maxTime(latest.checkpoint.timestamp),
  };
  const proof =
    latest.checkpoint.treeSize === 0 || latest.checkpoint.treeSize === tree.size
      ? []
      : tree.consistency(latest.checkpoint.treeSize, tree.size);
  out.push(
    verifyCheckpointConsistency(latest.checkpoint, current, proof)
      ? pass(
          'coordinator_consistency',
          `the ledger (${tree.size} entries) extends the latest logged checkpoint (${latest.checkpoint.treeSize} entries)`
        )
      : fail(
          'coordinator_consistency',
          `the ledger does not extend the latest logged checkpoint of ${latest.checkpoint.treeSize} entries`,
          // Its root matched above, so its whole prefix is intact: the change is after it.
          chainBad ?? latest.checkpoint.treeSize
        )
  );
  return out;
}

const checkpointLeafHex = (cp: CheckpointSigned): string => bytesToHex(checkpointLeafHash(cp));
/** The current head is "now": never earlier than the checkpoint it is compared with. */
const maxTime = (t: string): string => new Date(Math.max(Date.now(), Date.parse(t))).toISOString();
