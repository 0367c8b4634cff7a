import { ristretto255 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import type { RandomWords } from './_shuffle.ts';
import { _scalarFromWideBytes, PsiSecret } from './psi-secret.ts';

const L = ristretto255.Point.Fn.ORDER; // RFC 9496 §4.4: 2^252 + 27742317777372353535851937790883648493

function le64(n: bigint): Uint8Array {
  const out = new Uint8Array(64);
  for (let i = 0; i < 64; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

describe('_scalarFromWideBytes', () => {
  it('reduces 64 little-endian bytes modulo the group order', () => {
    expect(L).toBe(2n ** 252n + 27742317777372353535851937790883648493n);
    expect(_scalarFromWideBytes(le64(1n))).toBe(1n);
    expect(_scalarFromWideBytes(le64(L + 5n))).toBe(5n);
    expect(_scalarFromWideBytes(le64(2n ** 511n))).toBe(2n ** 511n % L);
  });

  it('never yields zero', () => {
    expect(_scalarFromWideBytes(new Uint8Array(64))).toBeNull();
    expect(_scalarFromWideBytes(le64(L))).toBeNull();
    expect(_scalarFromWideBytes(le64(3n * L))).toBeNull();
  });

  it('refuses a short input', () => {
    expect(() => _scalarFromWideBytes(new Uint8Array(32))).toThrow(
      '"bytes" expected Uint8Array of length 64, got length=32'
    );
  });
});

describe('PsiSecret', () => {
  it('redraws when the CSPRNG output reduces to zero, and zeroes its buffer', () => {
    const seen: Uint32Array[] = [];
    let call = 0;
    const rng: RandomWords = (out) => {
      seen.push(out);
      const bytes = call++ === 0 ? le64(L) : le64(42n);
      out.set(new Uint32Array(bytes.buffer));
    };
    const s = PsiSecret.random(rng);
    expect(call).toBe(2);
    expect(s._scalar()).toBe(42n);
    expect(seen[0]?.every((w) => w === 0)).toBe(true);
  });

  it('draws distinct non-zero scalars from crypto.getRandomValues', () => {
    const a = PsiSecret.random()._scalar();
    const b = PsiSecret.random()._scalar();
    expect(a).not.toBe(b);
    expect(a > 0n && a < L).toBe(true);
  });

  it('does not serialise and cannot be used after destroy()', () => {
    const s = PsiSecret.random();
    expect(JSON.stringify({ s })).toBe('{"s":"[PsiSecret]"}');
    expect(`${s}`).toBe('[PsiSecret]');
    expect(s.destroyed).toBe(false);
    s.destroy();
    expect(s.destroyed).toBe(true);
    expect(() => s._scalar()).toThrow('PsiSecret used after destroy()');
  });
});
