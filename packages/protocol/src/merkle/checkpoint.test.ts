import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../hashing.ts';
import { signingKeyPairFromSeed } from '../signing.ts';
import { EMPTY_ROOT, leafHash } from './hash.ts';
import { MerkleTreeBuilder } from './builder.ts';
import {
  CheckpointSignedSchema,
  checkpointLeafHash,
  receiptMatchesCheckpoint,
  signCheckpoint,
  signCheckpointReceipt,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyCheckpointReceipt,
  type Checkpoint,
} from './checkpoint.ts';
import { verifyInclusion } from './verify.ts';
import { ConsistencyProofSchema, InclusionProofSchema, proofFromHex, proofToHex } from './wire.ts';

const node = signingKeyPairFromSeed(new Uint8Array(32).fill(1));
const coordinator = signingKeyPairFromSeed(new Uint8Array(32).fill(2));

function ledger(n: number): MerkleTreeBuilder {
  const t = new MerkleTreeBuilder();
  for (let i = 0; i < n; i++) t.append(leafHash(new TextEncoder().encode(`entry ${i}`)));
  return t;
}
const log = ledger(10);
const cp: Checkpoint = {
  version: 1,
  origin: 'node-a',
  treeSize: 7,
  rootHash: bytesToHex(log.root(7)),
  timestamp: '2026-11-22T10:00:00.000Z',
};

describe('signed checkpoints', () => {
  it('sign then verify, and the signed form parses', () => {
    const signed = signCheckpoint(cp, node.secretKey);
    expect(signed.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(CheckpointSignedSchema.parse(signed)).toEqual(signed);
    expect(verifyCheckpoint(signed, node.publicKey)).toBe(true);
    // Ed25519 (RFC 8032) is deterministic: same checkpoint, same signature.
    expect(signCheckpoint(cp, node.secretKey).signature).toBe(signed.signature);
  });

  it('any tampered field, a foreign key or a malformed value verifies false', () => {
    const signed = signCheckpoint(cp, node.secretKey);
    const flipped = signed.signature.slice(0, -1) + (signed.signature.endsWith('0') ? '1' : '0');
    const tampered: unknown[] = [
      { ...signed, origin: 'node-b' },
      { ...signed, treeSize: 8 },
      { ...signed, rootHash: bytesToHex(log.root(8)) },
      { ...signed, timestamp: '2026-11-22T10:00:00.001Z' },
      { ...signed, version: 2 },
      { ...signed, signature: flipped },
      { ...signed, signature: undefined },
      { ...signed, treeSize: -1 },
      { ...signed, treeSize: 7.5 },
      { ...signed, rootHash: signed.rootHash.toUpperCase() },
      null,
      'checkpoint',
    ];
    expect(tampered.map((t) => verifyCheckpoint(t, node.publicKey))).toEqual(
      tampered.map(() => false)
    );
    expect(verifyCheckpoint(signed, coordinator.publicKey)).toBe(false);
    expect(verifyCheckpoint(signed, new Uint8Array(5))).toBe(false);
  });

  it('refuses to sign an invalid checkpoint, naming the field', () => {
    expect(() => signCheckpoint({ ...cp, rootHash: 'xyz' }, node.secretKey)).toThrow(
      '"checkpoint.rootHash" expected 64 lower-case hex characters'
    );
    expect(() => signCheckpoint({ ...cp, treeSize: 0 }, node.secretKey)).toThrow(
      '"checkpoint.rootHash" an empty tree must have the root SHA-256("")'
    );
    const empty = signCheckpoint(
      { ...cp, treeSize: 0, rootHash: bytesToHex(EMPTY_ROOT) },
      node.secretKey
    );
    expect(verifyCheckpoint(empty, node.publicKey)).toBe(true);
  });
});

describe('checkpoint receipts', () => {
  const signed = signCheckpoint(cp, node.secretKey);
  const body = {
    version: 1 as const,
    origin: cp.origin,
    treeSize: cp.treeSize,
    rootHash: cp.rootHash,
    logIndex: 41,
    receivedAt: '2026-11-22T10:00:01.000Z',
  };

  it('sign then verify, matched to the checkpoint; any tampered field is refused', () => {
    const receipt = signCheckpointReceipt(body, coordinator.secretKey);
    expect(verifyCheckpointReceipt(receipt, coordinator.publicKey)).toBe(true);
    expect(receiptMatchesCheckpoint(receipt, signed)).toBe(true);
    expect(receiptMatchesCheckpoint({ ...receipt, treeSize: 6 }, signed)).toBe(false);
    const tampered = [
      { ...receipt, origin: 'node-b' },
      { ...receipt, treeSize: 8 },
      { ...receipt, rootHash: '0'.repeat(64) },
      { ...receipt, logIndex: 40 },
      { ...receipt, receivedAt: '2026-11-22T10:00:02.000Z' },
      { ...receipt, version: 0 },
      { ...receipt, signature: signed.signature },
    ];
    expect(tampered.map((t) => verifyCheckpointReceipt(t, coordinator.publicKey))).toEqual(
      tampered.map(() => false)
    );
    expect(verifyCheckpointReceipt(receipt, node.publicKey)).toBe(false);
  });

  it('a checkpoint signature is not a receipt signature (domain separation)', () => {
    const receipt = signCheckpointReceipt(body, node.secretKey);
    expect(verifyCheckpoint({ ...cp, signature: receipt.signature }, node.publicKey)).toBe(false);
  });

  it('refuses to sign a receipt with a bad log index', () => {
    expect(() => signCheckpointReceipt({ ...body, logIndex: -1 }, coordinator.secretKey)).toThrow(
      /^"receipt\.logIndex" /
    );
  });
});

describe('checkpoints in the coordinator log', () => {
  it('a logged checkpoint is provably included; a modified one is not', () => {
    const signed = signCheckpoint(cp, node.secretKey);
    const coordLog = ledger(5);
    const index = coordLog.append(checkpointLeafHash(signed));
    coordLog.append(leafHash(new Uint8Array([9])));
    const wire = InclusionProofSchema.parse({
      version: 1,
      leafIndex: index,
      treeSize: coordLog.size,
      leafHash: bytesToHex(checkpointLeafHash(signed)),
      proof: proofToHex(coordLog.inclusionProof(index)),
    });
    const proof = proofFromHex(wire.proof);
    expect(
      verifyInclusion(
        hexToBytes(wire.leafHash),
        wire.leafIndex,
        wire.treeSize,
        proof,
        coordLog.root()
      )
    ).toBe(true);
    const other = checkpointLeafHash({ ...signed, timestamp: '2026-11-22T11:00:00.000Z' });
    expect(verifyInclusion(other, index, coordLog.size, proof, coordLog.root())).toBe(false);
  });

  it('consecutive checkpoints are checked for consistency, including a rewritten history', () => {
    const next: Checkpoint = {
      ...cp,
      treeSize: 10,
      rootHash: bytesToHex(log.root(10)),
      timestamp: '2026-11-22T11:00:00.000Z',
    };
    const wire = ConsistencyProofSchema.parse({
      version: 1,
      oldSize: 7,
      newSize: 10,
      proof: proofToHex(log.consistencyProof(7, 10)),
    });
    expect(verifyCheckpointConsistency(cp, next, wire.proof)).toBe(true);
    expect(verifyCheckpointConsistency(cp, cp, [])).toBe(true);
    // Truncate to 5 entries and re-append different ones: a valid tree of size 10, not an extension.
    const rewritten = ledger(5);
    for (let i = 0; i < 5; i++) rewritten.append(leafHash(new TextEncoder().encode(`forged ${i}`)));
    const forgedNext = { ...next, rootHash: bytesToHex(rewritten.root()) };
    expect(
      verifyCheckpointConsistency(cp, forgedNext, proofToHex(rewritten.consistencyProof(7, 10)))
    ).toBe(false);
    expect(verifyCheckpointConsistency(cp, { ...next, origin: 'node-b' }, wire.proof)).toBe(false);
    expect(
      verifyCheckpointConsistency(
        cp,
        { ...next, timestamp: '2026-11-22T09:00:00.000Z' },
        wire.proof
      )
    ).toBe(false);
    expect(verifyCheckpointConsistency(next, cp, wire.proof)).toBe(false);
    expect(verifyCheckpointConsistency(cp, next, ['zz'])).toBe(false);
    const genesis = { ...cp, treeSize: 0, rootHash: bytesToHex(EMPTY_ROOT) };
    expect(verifyCheckpointConsistency(genesis, next, [])).toBe(true);
    expect(verifyCheckpointConsistency(genesis, next, wire.proof)).toBe(false);
  });

  it('wire schemas bound the proof length and reject non-hex elements', () => {
    const base = { version: 1, oldSize: 1, newSize: 2 };
    expect(
      ConsistencyProofSchema.safeParse({ ...base, proof: Array(65).fill('0'.repeat(64)) }).success
    ).toBe(false);
    expect(ConsistencyProofSchema.safeParse({ ...base, proof: ['0'.repeat(63)] }).success).toBe(
      false
    );
    expect(() => proofFromHex(['0'.repeat(64), 'AB'])).toThrow(
      '"proof[1]" expected 64 lower-case hex characters'
    );
  });
});
