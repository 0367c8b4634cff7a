import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';
import { bytesToHex, hexToBytes } from './hashing.ts';

describe('Ed25519 through node:crypto', () => {
  it('reproduces RFC 8032 §7.1 test 1 (empty message)', () => {
    const kp = nacl.sign.keyPair.fromSeed(
      hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
    );
    expect(bytesToHex(kp.publicKey)).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
    );
    const sig = ed25519Sign(new Uint8Array(0), kp.secretKey);
    expect(bytesToHex(sig)).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
    );
    expect(ed25519Verify(new Uint8Array(0), sig, kp.publicKey)).toBe(true);
  });

  it('makes the signatures tweetnacl made and agrees with it on verification (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const kp = nacl.sign.keyPair.fromSeed(seed);
          const sig = ed25519Sign(msg, kp.secretKey);
          expect(bytesToHex(sig)).toBe(bytesToHex(nacl.sign.detached(msg, kp.secretKey)));
          expect(ed25519Verify(msg, sig, kp.publicKey)).toBe(true);
          const flipped = Uint8Array.from(sig);
          flipped[msg.length % 64] = (flipped[msg.length % 64] as number) ^ 1;
          expect(ed25519Verify(msg, flipped, kp.publicKey)).toBe(false);
        }
      ),
      { numRuns: 50 }
    );
  });

  it('signs with the key now in the array, not a cached one, after the caller rewrites it', () => {
    const a = nacl.sign.keyPair();
    const b = nacl.sign.keyPair();
    const key = Uint8Array.from(a.secretKey);
    const msg = new TextEncoder().encode('m');
    expect(ed25519Verify(msg, ed25519Sign(msg, key), a.publicKey)).toBe(true);
    key.set(b.secretKey);
    expect(ed25519Verify(msg, ed25519Sign(msg, key), b.publicKey)).toBe(true);
  });

  it('returns false for malformed signatures and keys, and refuses a short secret key', () => {
    const kp = nacl.sign.keyPair();
    const msg = new Uint8Array([1, 2, 3]);
    const sig = ed25519Sign(msg, kp.secretKey);
    expect(ed25519Verify(msg, sig.subarray(0, 63), kp.publicKey)).toBe(false);
    expect(ed25519Verify(msg, sig, kp.publicKey.subarray(0, 31))).toBe(false);
    expect(ed25519Verify(msg, sig, new Uint8Array(32).fill(0xff))).toBe(false);
    expect(() => ed25519Sign(msg, kp.secretKey.subarray(0, 32))).toThrow(
      '"secretKey" expected Uint8Array of length 64, got length=32'
    );
  });
});
