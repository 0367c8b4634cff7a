/**
 * Internal test helper: a node's side of the transparency log without a node. A labelled
 * Merkle tree stands in for its ledger; checkpoints over it are signed with the test node's key
 * and wrapped as the POST /v1/node/checkpoints body, consistency proof included.
 */
import {
  MerkleTreeBuilder,
  bytesToHex,
  leafHash,
  proofToHex,
  signCheckpoint,
  type CheckpointSigned,
} from '@fedmark/protocol';
import { T0, type TestNode } from '../_testing.ts';

const enc = (s: string) => new TextEncoder().encode(s);

/** A node-side ledger stand-in: a tree of `n` leaves labelled `${tag}-${i}` (another tag, another history). */
export function ledger(tag: string, n: number): MerkleTreeBuilder {
  const t = new MerkleTreeBuilder();
  for (let i = 0; i < n; i++) t.append(leafHash(enc(`${tag}-${i}`)));
  return t;
}

/** `n`'s signed checkpoint of the first `size` leaves of `tree`, timestamped `minute` minutes after T0. */
export function checkpoint(
  n: TestNode,
  tree: MerkleTreeBuilder,
  size: number,
  minute: number
): CheckpointSigned {
  const timestamp = new Date(T0 + minute * 60_000).toISOString();
  return signCheckpoint(
    {
      version: 1,
      origin: n.name,
      treeSize: size,
      rootHash: bytesToHex(tree.root(size)),
      timestamp,
    },
    n.signing.secretKey
  );
}

/** The checkpoint submission body: `cp` with its consistency proof from `fromSize` (none from 0 or from its own size). */
export function submission(cp: CheckpointSigned, tree: MerkleTreeBuilder, fromSize: number) {
  const consistencyProof =
    fromSize === 0 || fromSize === cp.treeSize
      ? []
      : proofToHex(tree.consistencyProof(fromSize, cp.treeSize));
  return { version: 1, checkpoint: cp, fromSize, consistencyProof };
}
