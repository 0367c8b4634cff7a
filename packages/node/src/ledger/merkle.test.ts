import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import {
  bytesToHex,
  generateSigningKeyPair,
  hexToBytes,
  leafHash,
  rootFromLeafHashes,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyConsistency,
  verifyInclusion,
} from '@fedmark/protocol';
import { useTempDatabase } from '../_testing/temp-node.ts';
import {
  CHECKPOINT_BUCKET,
  appendLedgerEntry,
  createLedgerCheckpoint,
  latestLedgerCheckpoint,
  ledgerConsistencyProof,
  ledgerEntryLeafBytes,
  ledgerInclusionProof,
  ledgerRootAt,
  listLedger,
  listLedgerCheckpoints,
  syncLedgerMerkle,
} from './index.ts';

let db: Database.Database;
useTempDatabase('ledger-merkle-', (t) => ({ db } = t));

function fill(n: number): void {
  db.transaction(() => {
    for (let i = 0; i < n; i++) appendLedgerEntry(db, { type: 'import', body: { i } });
  })();
}

/** Independent reference: the root of every entry's leaf hash, from the plain RFC 6962 recursion. */
const referenceRoot = (size: number) =>
  bytesToHex(
    rootFromLeafHashes(
      listLedger(db, { limit: size }).map((e) => leafHash(ledgerEntryLeafBytes(e)))
    )
  );

describe('ledger Merkle tree', () => {
  it('matches the RFC 6962 root of the entries at every size, across incremental syncs', () => {
    const base = listLedger(db).length; // openNodeDatabase may or may not write an entry
    for (const add of [1, 2, 13, 17, 40]) {
      fill(add);
      const { size, root } = syncLedgerMerkle(db);
      expect(size).toBe(listLedger(db).length);
      expect(bytesToHex(root)).toBe(referenceRoot(size));
    }
    expect(ledgerRootAt(db, base + 16)).toBe(referenceRoot(base + 16));
    expect(ledgerRootAt(db, 0)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    );
    expect(() => ledgerRootAt(db, 10_000)).toThrow(RangeError);
  });

  it('serves inclusion and consistency proofs that verify, and fail for a different entry', () => {
    fill(75);
    const size = syncLedgerMerkle(db).size;
    const root = hexToBytes(ledgerRootAt(db, size));
    for (const i of [0, 1, 31, 32, 63, size - 1]) {
      const p = ledgerInclusionProof(db, i, size);
      const proof = p.proof.map(hexToBytes);
      expect(verifyInclusion(hexToBytes(p.leafHash), i, size, proof, root)).toBe(true);
      expect(verifyInclusion(hexToBytes(p.leafHash), (i + 1) % size, size, proof, root)).toBe(
        false
      );
    }
    for (const old of [1, 5, 16, 33, size]) {
      const proof = ledgerConsistencyProof(db, old, size).map(hexToBytes);
      expect(verifyConsistency(old, size, hexToBytes(ledgerRootAt(db, old)), root, proof)).toBe(
        true
      );
    }
  });

  it('signs checkpoints with the node key that verify and are consistent with each other', () => {
    const key = generateSigningKeyPair();
    const id = { name: 'node-a', signing: key };
    fill(10);
    const a = createLedgerCheckpoint(db, id, new Date('2026-01-01T00:00:00.000Z'));
    fill(7);
    const b = createLedgerCheckpoint(db, id, new Date('2026-01-01T01:00:00.000Z'));
    expect(verifyCheckpoint(a.checkpoint, key.publicKey)).toBe(true);
    expect(verifyCheckpoint(b.checkpoint, generateSigningKeyPair().publicKey)).toBe(false);
    // Each checkpoint is padded up to the bucket (docs/audit.md "Checkpoint padding").
    expect([a.checkpoint.treeSize, b.checkpoint.treeSize]).toEqual([
      CHECKPOINT_BUCKET,
      2 * CHECKPOINT_BUCKET,
    ]);
    expect(b.checkpoint.rootHash).toBe(referenceRoot(b.checkpoint.treeSize));
    const proof = ledgerConsistencyProof(db, a.checkpoint.treeSize, b.checkpoint.treeSize);
    expect(verifyCheckpointConsistency(a.checkpoint, b.checkpoint, proof)).toBe(true);
    expect(listLedgerCheckpoints(db).map((c) => c.id)).toEqual([a.id, b.id]);
    expect(latestLedgerCheckpoint(db)?.checkpoint).toEqual(b.checkpoint);
  });
});
