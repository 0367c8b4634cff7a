import { describe, expect, it } from 'vitest';
import {
  signCanonical,
  signingKeyPairFromSeed,
  verifyCanonical,
  generateBoxKeyPair,
  sealBox,
  openBox,
} from './signing.ts';
import { hexToBytes } from './hashing.ts';
import vectors from '../test-vectors/signing.json' with { type: 'json' };

describe('Ed25519 over canonical bytes', () => {
  const kp = signingKeyPairFromSeed(hexToBytes(vectors.seed));

  it('reproduces the frozen vector', () => {
    expect(signCanonical(vectors.domain, vectors.message, kp.secretKey)).toBe(vectors.signature);
    expect(verifyCanonical(vectors.domain, vectors.message, vectors.signature, kp.publicKey)).toBe(
      true
    );
  });

  it('fails when any byte of the signature is flipped', () => {
    for (let i = 0; i < 64; i++) {
      const sig = hexToBytes(vectors.signature);
      sig[i] = (sig[i] as number) ^ 1;
      const hex = Buffer.from(sig).toString('hex');
      expect(verifyCanonical(vectors.domain, vectors.message, hex, kp.publicKey)).toBe(false);
    }
  });

  it('fails when the message, the domain or the key changes', () => {
    expect(
      verifyCanonical(
        vectors.domain,
        { ...vectors.message, round: 1 },
        vectors.signature,
        kp.publicKey
      )
    ).toBe(false);
    expect(verifyCanonical('other', vectors.message, vectors.signature, kp.publicKey)).toBe(false);
    const other = signingKeyPairFromSeed(new Uint8Array(32).fill(9));
    expect(
      verifyCanonical(vectors.domain, vectors.message, vectors.signature, other.publicKey)
    ).toBe(false);
  });

  it('returns false, not a throw, for malformed signatures and keys', () => {
    expect(verifyCanonical(vectors.domain, vectors.message, 'zz', kp.publicKey)).toBe(false);
    expect(
      verifyCanonical(vectors.domain, vectors.message, vectors.signature, new Uint8Array(3))
    ).toBe(false);
  });

  it('rejects a seed of the wrong length with a labelled RangeError', () => {
    expect(() => signingKeyPairFromSeed(new Uint8Array(31))).toThrow(
      '"seed" expected Uint8Array of length 32, got length=31'
    );
  });
});

describe('sealed boxes', () => {
  it('round-trips and detects tampering', () => {
    const a = generateBoxKeyPair();
    const b = generateBoxKeyPair();
    const sealed = sealBox(new Uint8Array([1, 2, 3]), b.publicKey, a.secretKey);
    expect(Array.from(openBox(sealed, a.publicKey, b.secretKey))).toEqual([1, 2, 3]);
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] as number) ^ 1;
    expect(() => openBox(sealed, a.publicKey, b.secretKey)).toThrow(
      'sealed box failed authentication'
    );
    expect(() => openBox(new Uint8Array(10), a.publicKey, b.secretKey)).toThrow(RangeError);
  });
});
