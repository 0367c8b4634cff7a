import { randomBytes } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, sha256, sha256Hex } from './hashing.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sha256 (node:crypto)', () => {
  it('gives the FIPS 180-4 example digests (NIST CSRC examples, SHA256.pdf)', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
    );
    expect(bytesToHex(sha256(utf8('a'.repeat(1_000_000))))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'
    );
  });

  it('equals @noble/hashes on inputs of many sizes, views into larger buffers included', () => {
    for (const n of [1, 55, 56, 63, 64, 65, 1000, 270_795]) {
      const buf = randomBytes(n + 16);
      const view = new Uint8Array(buf.buffer, buf.byteOffset + 7, n);
      expect(bytesToHex(sha256(view))).toBe(bytesToHex(nobleSha256(view)));
    }
    const d = sha256(utf8('abc'));
    expect(d).toBeInstanceOf(Uint8Array);
    expect(d.length).toBe(32);
  });
});
