import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalBytes, type Canonical } from '@fedmark/protocol';
import { fastCanonicalBytes } from './_canonical-fast.ts';

/** Hex of the encoding, or the error class name when encoding refuses the value. */
function outcome(f: () => Uint8Array): string {
  try {
    return Buffer.from(f()).toString('hex');
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
}
const same = (domain: string, v: Canonical) =>
  expect(outcome(() => fastCanonicalBytes(domain, v))).toBe(outcome(() => canonicalBytes(domain, v)));

describe('fastCanonicalBytes', () => {
  it('matches canonicalBytes on fixed vectors', () => {
    same('ledger-entry', { seq: 0, type: 'import', at: '2025-01-01T00:00:00.000Z', subject: null, body: { a: 1, b: [true, false, null], eps: 0.25 }, commitment: null, prevHash: '0'.repeat(64) });
    same('x', { 'é': 1, e: 2, '\u{1F600}': 3, '\uFFFF': 4, z: 'naïve 😀' });
    same('x', [1n, 2 ** 53 - 1, -7, 1.5e-7, 123.456, new Uint8Array([0, 255])]);
    same('x', [1e21]);
    same('x', { u: undefined, n: null, nested: { deep: [{}] } });
  });

  it('matches canonicalBytes on random JSON-like values', () => {
    const leaf = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.string({ unit: 'grapheme' }),
      fc.string(),
      fc.bigInt(),
      fc.uint8Array({ maxLength: 8 })
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'grapheme' }), tie('v'), { maxKeys: 4 })),
    })).v as fc.Arbitrary<Canonical>;
    fc.assert(fc.property(value, (v) => outcome(() => fastCanonicalBytes('p', v)) === outcome(() => canonicalBytes('p', v))), { numRuns: 500 });
  });

  it('returns independent copies although the encoder reuses one buffer', () => {
    const a = fastCanonicalBytes('x', { a: 'first' });
    const b = fastCanonicalBytes('x', { b: 'second value, longer' });
    expect(Buffer.from(a).equals(Buffer.from(canonicalBytes('x', { a: 'first' })))).toBe(true);
    expect(Buffer.from(b).equals(Buffer.from(canonicalBytes('x', { b: 'second value, longer' })))).toBe(true);
  });

  it('refuses what canonicalBytes refuses', () => {
    expect(() => fastCanonicalBytes('x', Number.NaN)).toThrow(RangeError);
    expect(() => fastCanonicalBytes('x', -0)).toThrow(RangeError);
    expect(() => fastCanonicalBytes('x', 2 ** 60)).toThrow(RangeError);
    expect(() => fastCanonicalBytes('Bad', 1)).toThrow(RangeError);
    expect(() => fastCanonicalBytes('x', new Date() as unknown as Canonical)).toThrow(TypeError);
  });
});
