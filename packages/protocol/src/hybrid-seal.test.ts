import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  ENCRYPTED_OVERHEAD_BYTES,
  SEALED_DATA_KEY_BYTES,
  hybridOpen,
  hybridSeal,
} from './hybrid-seal.ts';
import { generateBoxKeyPair, sealBox } from './signing.ts';

const sender = generateBoxKeyPair();
const alice = generateBoxKeyPair();
const bob = generateBoxKeyPair();
const secret = nacl.randomBytes(5000);

const sealFor = () =>
  hybridSeal(
    secret,
    [
      { name: 'alice', boxKey: alice.publicKey },
      { name: 'bob', boxKey: bob.publicKey },
    ],
    sender.secretKey
  );

describe('hybrid seal (one secretbox blob, the data key boxed to each recipient)', () => {
  it('every recipient opens the same secret; the blob is sealed once, each key is 72 bytes', () => {
    const s = sealFor();
    expect(s.encrypted.length).toBe(secret.length + ENCRYPTED_OVERHEAD_BYTES);
    expect(Object.keys(s.sealedKeys).sort()).toEqual(['alice', 'bob']);
    for (const k of Object.values(s.sealedKeys)) expect(k.length).toBe(SEALED_DATA_KEY_BYTES);
    for (const [name, kp] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const opened = hybridOpen(
        s.encrypted,
        s.sealedKeys[name] as Uint8Array,
        sender.publicKey,
        kp.secretKey
      );
      expect(opened).toEqual(secret);
    }
  });

  it("a recipient cannot open another recipient's sealed key", () => {
    const s = sealFor();
    expect(() =>
      hybridOpen(s.encrypted, s.sealedKeys['bob'] as Uint8Array, sender.publicKey, alice.secretKey)
    ).toThrow('sealed box failed authentication');
  });

  it('refuses a sealed key boxed by anyone but the expected sender', () => {
    const s = sealFor();
    const mallory = generateBoxKeyPair();
    expect(() =>
      hybridOpen(
        s.encrypted,
        s.sealedKeys['alice'] as Uint8Array,
        mallory.publicKey,
        alice.secretKey
      )
    ).toThrow('sealed box failed authentication');
  });

  it('refuses a tampered blob (Poly1305) and a tampered sealed key', () => {
    const s = sealFor();
    const blob = s.encrypted.slice();
    blob[blob.length - 1] = (blob[blob.length - 1] as number) ^ 1;
    expect(() =>
      hybridOpen(blob, s.sealedKeys['alice'] as Uint8Array, sender.publicKey, alice.secretKey)
    ).toThrow('sealed box failed authentication');
    const key = (s.sealedKeys['alice'] as Uint8Array).slice();
    key[30] = (key[30] as number) ^ 1;
    expect(() => hybridOpen(s.encrypted, key, sender.publicKey, alice.secretKey)).toThrow(
      'sealed box failed authentication'
    );
  });

  it('refuses wrong sizes before opening anything', () => {
    const s = sealFor();
    const key = s.sealedKeys['alice'] as Uint8Array;
    expect(() =>
      hybridOpen(s.encrypted, key.subarray(0, 71), sender.publicKey, alice.secretKey)
    ).toThrow(new RangeError('"sealedKey" expected Uint8Array of length 72, got length=71'));
    expect(() => hybridOpen(new Uint8Array(39), key, sender.publicKey, alice.secretKey)).toThrow(
      RangeError
    );
    // A well-formed box from the sender that holds something other than a 32-byte key.
    const odd = sealBox(new Uint8Array(33), alice.publicKey, sender.secretKey);
    expect(odd.length).toBe(73);
    expect(() => hybridOpen(s.encrypted, odd, sender.publicKey, alice.secretKey)).toThrow(
      RangeError
    );
  });

  it('uses a fresh data key per seal: two seals of one secret share no bytes of blob or box', () => {
    const x = sealFor();
    const y = sealFor();
    expect(Buffer.from(x.encrypted).equals(Buffer.from(y.encrypted))).toBe(false);
    // The data key of one seal does not open the other's blob.
    expect(() =>
      hybridOpen(
        x.encrypted,
        y.sealedKeys['alice'] as Uint8Array,
        sender.publicKey,
        alice.secretKey
      )
    ).toThrow('sealed box failed authentication');
  });
});
