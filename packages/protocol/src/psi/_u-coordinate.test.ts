import { FpLegendre, pow } from '@noble/curves/abstract/modular.js';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, hexToBytes } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOSTILE_POINTS } from './_hostile-points.ts';
import {
  P25519,
  SMALL_ORDER_U,
  isOnCurve25519,
  jacobiSymbol,
  pointFault,
} from './_u-coordinate.ts';

const Fp = ed25519.Point.Fp;
const fieldElement = fc.bigInt({ min: 0n, max: P25519 - 1n });

describe('jacobiSymbol', () => {
  it('equals @noble FpLegendre (Euler criterion) mod p on random elements', () => {
    fc.assert(
      fc.property(fieldElement, (a) => jacobiSymbol(a, P25519) === FpLegendre(Fp, a)),
      { numRuns: 2000 }
    );
  });

  it('gets the textbook cases mod p = 2^255 - 19 right', () => {
    expect(jacobiSymbol(0n, P25519)).toBe(0);
    expect(jacobiSymbol(1n, P25519)).toBe(1);
    expect(jacobiSymbol(P25519 - 1n, P25519)).toBe(1); // p = 1 (mod 4): -1 is a square
    expect(jacobiSymbol(2n, P25519)).toBe(-1); // p = 5 (mod 8): 2 is not (RFC 9380 uses Z = 2)
    expect(jacobiSymbol(P25519 + 4n, P25519)).toBe(1); // reduced first: 4 = 2^2
    expect(jacobiSymbol(-2n, P25519)).toBe(-1);
  });

  it('equals Euler criterion for every a modulo small primes', () => {
    for (const n of [3n, 5n, 7n, 11n, 13n, 101n, 257n]) {
      for (let a = 0n; a < n; a++) {
        const e = a ** ((n - 1n) / 2n) % n;
        expect(jacobiSymbol(a, n)).toBe(e === n - 1n ? -1 : Number(e));
      }
    }
  });

  it('refuses an even or non-positive modulus', () => {
    expect(() => jacobiSymbol(3n, 8n)).toThrow('"n" expected an odd positive integer');
    expect(() => jacobiSymbol(3n, -7n)).toThrow(RangeError);
  });
});

describe('small-order u-coordinates', () => {
  it("are the curve's torsion points (edwards25519's, mapped by u = (1 + y) / (1 - y))", () => {
    const us = new Set<bigint>();
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const { y } = ed25519.Point.fromHex(hex).toAffine();
      if (y === 1n) continue; // the identity: u at infinity, which X25519 writes as 0
      us.add(Fp.div(Fp.add(1n, y), Fp.sub(1n, y)));
    }
    expect([...us].sort()).toEqual([...SMALL_ORDER_U].filter((u) => u !== P25519 - 1n).sort());
    expect(us.size).toBe(4);
  });

  it('include p - 1, which is on the twist, not the curve', () => {
    expect(SMALL_ORDER_U.has(P25519 - 1n)).toBe(true);
    expect(isOnCurve25519(P25519 - 1n)).toBe(false);
    for (const u of SMALL_ORDER_U)
      if (u > 0n && u < P25519 - 1n) expect(isOnCurve25519(u)).toBe(true);
  });
});

// Miller-Rabin with the first 12 prime bases; for a number this size a composite passes with
// probability below 4^-12, which is enough for a test that pins a published fact.
function isProbablePrime(n: bigint): boolean {
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    let x = pow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let witness = true;
    for (let r = 1; r < s && witness; r++) {
      x = (x * x) % n;
      if (x === n - 1n) witness = false;
    }
    if (witness) return false;
  }
  return true;
}

describe('curve25519 and its twist (docs/psi.md "Who learns what")', () => {
  it('the curve has order 8·l and the twist 4·p2, with l and p2 prime', () => {
    const l = ed25519.Point.Fn.ORDER; // RFC 7748 §4.1
    const twistOrder = 2n * (P25519 + 1n) - 8n * l; // #E + #E' = 2(p + 1)
    const p2 = 2n ** 253n - 55484635554744707071703875581767296995n;
    expect(twistOrder).toBe(4n * p2);
    expect(isProbablePrime(l)).toBe(true);
    expect(isProbablePrime(p2)).toBe(true);
    expect(isProbablePrime(p2 + 2n)).toBe(false); // the test can say no
  });
});

describe('pointFault', () => {
  it.each(HOSTILE_POINTS.map((h) => [h.name, h] as const))('refuses %s', (_name, h) => {
    expect(pointFault(hexToBytes(h.hex))).toBe(h.fault);
  });

  it('accepts the base point u = 9 and the RFC 7748 §6.1 public keys', () => {
    for (const u of [
      `09${'00'.repeat(31)}`,
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
      'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
    ]) {
      expect(pointFault(hexToBytes(u))).toBeNull();
    }
  });

  it('finds about half of all canonical u on the twist', () => {
    let twist = 0;
    const n = 400;
    for (let i = 0; i < n; i++) {
      const u = crypto.getRandomValues(new Uint8Array(32));
      u[31] = (u[31] as number) & 0x7f;
      if (bytesToNumberLE(u) >= P25519) continue;
      if (pointFault(u) === 'twist') twist++;
    }
    expect(twist).toBeGreaterThan(n * 0.35); // binomial(400, 1/2): 0.35n is 6 sigma out
    expect(twist).toBeLessThan(n * 0.65);
  });
});
