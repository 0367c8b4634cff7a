import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkFits, ciphertextCountFor, decodeSigned, encodeSigned, maxAbsFor } from './codec.ts';
import { HE_PARAMS } from './params.ts';

const T = HE_PARAMS['bfv-8192-t40'].plainModulus;
const HALF = (T - 1n) / 2n;

describe('signed codec', () => {
  it('maps negatives to v + t and pads to whole ciphertexts', () => {
    const [a, b] = encodeSigned([5n, -3n, HALF, -HALF, 0n, 1n], T, 4);
    expect(a).toEqual(new BigUint64Array([5n, T - 3n, HALF, T - HALF]));
    expect(b).toEqual(new BigUint64Array([0n, 1n, 0n, 0n]));
    expect(decodeSigned([a as BigUint64Array, b as BigUint64Array], T, 6)).toEqual([
      5n,
      -3n,
      HALF,
      -HALF,
      0n,
      1n,
    ]);
  });

  it('decodes centered: (t-1)/2 stays positive, (t+1)/2 becomes -(t-1)/2', () => {
    expect(decodeSigned([[HALF, HALF + 1n, T - 1n]], T, 3)).toEqual([HALF, -HALF, -1n]);
  });

  it('round-trips any in-range vector (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -HALF, max: HALF }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 16 }),
        (values, slots) => {
          const enc = encodeSigned(values, T, slots);
          expect(enc.length).toBe(Math.ceil(values.length / slots));
          expect(decodeSigned(enc, T, values.length)).toEqual(values);
        }
      )
    );
  });

  it('sums of encodings decode to the signed sum while the sum fits (ring homomorphism)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(HALF / 8n), max: HALF / 8n }), { minLength: 1, maxLength: 8 }),
        (vs) => {
          const sum = vs
            .map((v) => encodeSigned([v], T, 1)[0]?.[0] as bigint)
            .reduce((s, x) => (s + x) % T, 0n);
          expect(decodeSigned([[sum]], T, 1)).toEqual([vs.reduce((s, v) => s + v, 0n)]);
        }
      )
    );
  });

  it('refuses out-of-range values, non-bigints and short inputs with labelled errors', () => {
    expect(() => encodeSigned([0n, HALF + 1n], T, 4)).toThrow(
      /"values\[1\]" = 549755740161 is outside/
    );
    expect(() => encodeSigned([-HALF - 1n], T, 4)).toThrow(RangeError);
    expect(() => encodeSigned([1 as unknown as bigint], T, 4)).toThrow(
      /"values\[0\]" expected a bigint/
    );
    expect(() => encodeSigned([1n], T, 0)).toThrow(/"slots"/);
    expect(() => decodeSigned([[1n, 2n]], T, 3)).toThrow(/holds 2 slots, 3 needed/);
    expect(() => decodeSigned([[T]], T, 1)).toThrow(
      /slot 0 value 1099511480321 is not in \[0, t\)/
    );
    expect(() => decodeSigned([[-1n]], T, 1)).toThrow(RangeError);
  });

  it('counts ciphertexts and checks that an aggregate bound fits', () => {
    expect(ciphertextCountFor(0, 8192)).toBe(0);
    expect(ciphertextCountFor(8192, 8192)).toBe(1);
    expect(ciphertextCountFor(8193, 8192)).toBe(2);
    expect(maxAbsFor(T)).toBe(549755740160n);
    expect(() => checkFits(549755740160n, T)).not.toThrow();
    expect(() => checkFits(549755740161n, T)).toThrow(/exceeds the plain modulus range/);
    expect(() => checkFits(-1n, T)).toThrow(/non-negative bigint/);
  });

  it('pins the parameter table', () => {
    const p = HE_PARAMS['bfv-8192-t40'];
    expect(p.plainModulus).toBe(1099511480321n);
    // Batching needs t = 1 (mod 2N).
    expect(p.plainModulus % BigInt(2 * p.polyModulusDegree)).toBe(1n);
    expect(p.coeffModulusBits.reduce((s, b) => s + b, 0)).toBe(218);
    expect(p.slotCount).toBe(8192);
  });
});
