import { hexToBytes } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOSTILE_POINTS, torsionVariant } from './_hostile-points.ts';
import { x25519 } from './_x25519.ts';
import { hashMatchingKey } from './hash-to-group.ts';
import { PsiSecret } from './psi-secret.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const key = (h: string) => PsiSecret._fromBytes(hexToBytes(h))._privateKey();
const BASE = hexToBytes(`09${'00'.repeat(31)}`); // RFC 7748 §4.1: u = 9

describe('X25519 through node:crypto matches RFC 7748', () => {
  it.each([
    // §5.2: scalar, input u, output u
    [
      'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
      'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
      'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
    ],
    [
      '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
      'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
      '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
    ],
  ])('§5.2 scalar %s', (scalar, u, out) => {
    expect(hex(x25519(key(scalar), hexToBytes(u)))).toBe(out);
  });

  it('§6.1: public keys and the shared secret, either way round', () => {
    const a = key('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const b = key('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const aPub = x25519(a, BASE);
    const bPub = x25519(b, BASE);
    expect(hex(aPub)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(bPub)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(hex(x25519(a, bPub))).toBe(k);
    expect(hex(x25519(b, aPub))).toBe(k);
  });
});

describe('X25519 blinding', () => {
  it('commutes on hashed points: X25519(a, X25519(b, H)) = X25519(b, X25519(a, H))', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string(),
        (ab, bb, msg) => {
          const a = PsiSecret._fromBytes(ab)._privateKey();
          const b = PsiSecret._fromBytes(bb)._privateKey();
          const h = hashMatchingKey('fed-a', 'partner_id', `k${msg}`);
          return hex(x25519(a, x25519(b, h))) === hex(x25519(b, x25519(a, h)));
        }
      ),
      { numRuns: 50 }
    );
  });

  it('multiplies a small-order component away (why blinded duplicates are refused)', () => {
    const a = PsiSecret.random()._privateKey();
    const h = hashMatchingKey('fed-a', 'email', 'a@x.org');
    const variant = torsionVariant(h);
    expect(hex(variant)).not.toBe(hex(h));
    expect(hex(x25519(a, variant))).toBe(hex(x25519(a, h)));
  });
});

// What OpenSSL does on its own with hostile input, and so what _u-coordinate.ts must refuse
// before a point reaches it.
describe('node:crypto X25519 on hostile points', () => {
  const a = PsiSecret.random()._privateKey();

  it.each(HOSTILE_POINTS.filter((h) => h.fault === 'small_order').map((h) => [h.name, h.hex]))(
    'fails on %s (an all-zero result)',
    (_name, u) => {
      expect(() => x25519(a, hexToBytes(u))).toThrow(
        expect.objectContaining({ code: 'ERR_OSSL_FAILED_DURING_DERIVATION' })
      );
    }
  );

  it('computes on a twist point without complaint', () => {
    const twist = HOSTILE_POINTS.find((h) => h.fault === 'twist');
    expect(x25519(a, hexToBytes(twist?.hex ?? '')).length).toBe(32);
  });

  it('treats the top-bit-set and the unreduced encodings as the same point', () => {
    const h = hashMatchingKey('fed-a', 'email', 'a@x.org');
    const topBit = Uint8Array.from(h);
    topBit[31] = (topBit[31] as number) | 0x80;
    expect(hex(x25519(a, topBit))).toBe(hex(x25519(a, h)));
    const nine = hexToBytes(`09${'00'.repeat(31)}`);
    const ninePlusP = hexToBytes(`f6${'ff'.repeat(30)}7f`);
    expect(hex(x25519(a, ninePlusP))).toBe(hex(x25519(a, nine)));
  });
});
