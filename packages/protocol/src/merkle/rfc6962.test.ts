import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, sha256 } from '../hashing.ts';
import vectors from '../../test-vectors/rfc6962.json' with { type: 'json' };
import { EMPTY_ROOT, leafHash, nodeHash } from './hash.ts';
import { CompactMerkleTree } from './compact.ts';
import { MerkleTreeBuilder } from './builder.ts';
import { consistencyProof, inclusionProof } from './proofs.ts';
import { rootFromLeafHashes } from './subtree.ts';
import { verifyConsistency, verifyInclusion } from './verify.ts';

// Vectors: transparency-dev/merkle @417fb0c (testonly/constants.go, testdata/**), cross-checked
// against google/certificate-transparency's C++ suite; see test-vectors/rfc6962.json "source".
const hex = (bs: readonly Uint8Array[]): string[] => bs.map(bytesToHex);
const bytes = (hs: readonly string[]): Uint8Array[] => hs.map(hexToBytes);
const leafHashes = bytes(vectors.leafHashes);
const get = (i: number): Uint8Array => leafHashes[i] as Uint8Array;
const roots = vectors.roots as Record<string, string>;

describe('RFC 6962 hashing', () => {
  it('hashes the unit vectors', () => {
    const enc = new TextEncoder();
    expect(bytesToHex(EMPTY_ROOT)).toBe(vectors.unitHashes.empty);
    expect(bytesToHex(leafHash(new Uint8Array(0)))).toBe(vectors.unitHashes["leaf('')"]);
    expect(bytesToHex(leafHash(enc.encode('L123456')))).toBe(vectors.unitHashes["leaf('L123456')"]);
    // The CT suite feeds 'N123' and 'N456' as raw child bytes; nodeHash insists on 32-byte
    // children, so rebuild the same input by hand to pin the 0x01 prefix.
    const nodeInput = new Uint8Array([1, ...enc.encode('N123'), ...enc.encode('N456')]);
    expect(bytesToHex(sha256(nodeInput))).toBe(vectors.unitHashes["node('N123','N456')"]);
  });

  it('derives the 8 leaf hashes and every interior node of the size-8 tree', () => {
    expect(hex(vectors.leaves.map((l) => leafHash(hexToBytes(l))))).toEqual(vectors.leafHashes);
    let level = leafHashes;
    for (const want of vectors.nodeHashesByLevel) {
      expect(hex(level)).toEqual(want);
      const next: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2)
        next.push(nodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array));
      level = next;
    }
  });

  it('rejects node children that are not 32 bytes with a labelled RangeError', () => {
    expect(() => nodeHash(new Uint8Array(31), EMPTY_ROOT)).toThrow(
      '"left" expected Uint8Array of length 32, got length=31'
    );
  });
});

describe('RFC 6962 roots for sizes 0-8', () => {
  it('matches from the recursive definition, the compact tree and the builder', () => {
    const compact = new CompactMerkleTree();
    const builder = new MerkleTreeBuilder();
    expect(Object.keys(roots)).toHaveLength(9);
    for (let n = 0; n <= 8; n++) {
      expect(bytesToHex(rootFromLeafHashes(leafHashes.slice(0, n)))).toBe(roots[String(n)]);
      expect(bytesToHex(compact.root())).toBe(roots[String(n)]);
      expect(compact.size).toBe(n);
      if (n < 8) {
        compact.append(get(n));
        builder.append(get(n));
      }
    }
    for (let n = 0; n <= 8; n++) expect(bytesToHex(builder.root(n))).toBe(roots[String(n)]);
  });
});

describe('RFC 6962 listed proofs', () => {
  it('reproduces every inclusion proof exactly and verifies it', () => {
    expect(vectors.inclusion).toHaveLength(5);
    for (const v of vectors.inclusion) {
      const proof = inclusionProof(v.leafIndex, v.treeSize, get);
      expect(hex(proof)).toEqual(v.proof);
      expect(bytesToHex(get(v.leafIndex))).toBe(v.leafHash);
      expect(
        verifyInclusion(hexToBytes(v.leafHash), v.leafIndex, v.treeSize, proof, hexToBytes(v.root))
      ).toBe(true);
    }
  });

  it('reproduces every consistency proof exactly and verifies it', () => {
    expect(vectors.consistency).toHaveLength(5);
    for (const v of vectors.consistency) {
      const proof = consistencyProof(v.size1, v.size2, get);
      expect(hex(proof)).toEqual(v.proof);
      expect(
        verifyConsistency(v.size1, v.size2, hexToBytes(v.root1), hexToBytes(v.root2), proof)
      ).toBe(true);
    }
  });
});

describe('RFC 6962 probe cases (transparency-dev testdata)', () => {
  it('verifyInclusion accepts exactly the 6 valid inclusion probes and rejects the 92 mutated ones', () => {
    const accepted = vectors.inclusionProbes.filter((p) => {
      const ok = verifyInclusion(
        hexToBytes(p.leafHash),
        p.leafIndex,
        p.treeSize,
        bytes(p.proof),
        hexToBytes(p.root)
      );
      expect(ok, `${p.source}: ${p.desc}`).toBe(!p.wantErr);
      return ok;
    });
    expect(vectors.inclusionProbes).toHaveLength(98);
    expect(accepted).toHaveLength(6);
  });

  it('verifyConsistency accepts exactly the 6 valid consistency probes and rejects the 92 mutated ones', () => {
    const accepted = vectors.consistencyProbes.filter((p) => {
      const ok = verifyConsistency(
        p.size1,
        p.size2,
        hexToBytes(p.root1),
        hexToBytes(p.root2),
        bytes(p.proof)
      );
      expect(ok, `${p.source}: ${p.desc}`).toBe(!p.wantErr);
      return ok;
    });
    expect(vectors.consistencyProbes).toHaveLength(98);
    expect(accepted).toHaveLength(6);
  });

  it('accepts exactly 12 of the 196 probes in total, each one a wantErr=false case', () => {
    const inc = vectors.inclusionProbes.map((p) => ({
      p,
      ok: verifyInclusion(
        hexToBytes(p.leafHash),
        p.leafIndex,
        p.treeSize,
        bytes(p.proof),
        hexToBytes(p.root)
      ),
    }));
    const con = vectors.consistencyProbes.map((p) => ({
      p,
      ok: verifyConsistency(
        p.size1,
        p.size2,
        hexToBytes(p.root1),
        hexToBytes(p.root2),
        bytes(p.proof)
      ),
    }));
    const all = [...inc, ...con];
    expect(all).toHaveLength(196);
    const accepted = all.filter((r) => r.ok);
    expect(accepted).toHaveLength(12);
    expect(accepted.every((r) => !r.p.wantErr)).toBe(true);
    expect(all.filter((r) => !r.ok)).toHaveLength(184);
  });
});
