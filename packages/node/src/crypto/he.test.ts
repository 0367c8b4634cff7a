import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHe, ProtocolError, type He, type HeKeyPair } from '@fedmark/protocol';
import { loadHe, loadSeal } from './seal.ts';

let he: He;
let keys: HeKeyPair;
const HALF = (1099511480321n - 1n) / 2n;

beforeAll(async () => {
  he = await loadHe('bfv-8192-t40');
  keys = he.generateKeys();
});

function badCiphertext(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'accepted';
}

describe('HE over SEAL (bfv-8192-t40)', () => {
  it('reports its parameters', () => {
    expect(he.paramsId).toBe('bfv-8192-t40');
    expect(he.slotCount).toBe(8192);
    expect(he.plainModulus).toBe(1099511480321n);
    expect(he.ciphertextCount(8193)).toBe(2);
    expect(he.publicKeyHash(keys.publicKey)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('decrypt(add(enc a, enc b)) == a + b for signed values within range (property)', () => {
    const value = fc.bigInt({ min: -(HALF / 2n), max: HALF / 2n });
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 24 }), (pairs) => {
        const a = he.encryptSymmetric(
          pairs.map((p) => p[0]),
          keys.secretKey
        );
        const b = he.encryptSymmetric(
          pairs.map((p) => p[1]),
          keys.secretKey
        );
        const sum = he.decrypt(he.addCiphertexts([a, b]), keys.secretKey, pairs.length);
        expect(sum).toEqual(pairs.map(([x, y]) => x + y));
      }),
      { numRuns: 4 }
    );
  });

  it('packs a vector longer than one ciphertext and sums three contributions exactly', () => {
    const length = 8192 + 5;
    const vec = (k: bigint) => Array.from({ length }, (_, i) => (BigInt(i) - 4000n) * k);
    const cts = [1n, -2n, 10n].map((k) => he.encryptSymmetric(vec(k), keys.secretKey));
    expect(cts[0]).toHaveLength(2);
    const out = he.decrypt(he.addCiphertexts(cts), keys.secretKey, length);
    expect(out[0]).toBe(-4000n * 9n);
    expect(out[8196]).toBe(4196n * 9n);
    expect(out).toEqual(vec(9n));
  });

  it('seeded symmetric ciphertexts are about half of a public-key one and both decrypt', () => {
    const seeded = he.encryptSymmetric([7n, -7n], keys.secretKey);
    const full = he.encryptPublic([7n, -7n], keys.publicKey);
    expect((seeded[0] as Uint8Array).length).toBeLessThan(0.6 * (full[0] as Uint8Array).length);
    expect(he.decrypt(he.addCiphertexts([seeded, full]), keys.secretKey, 2)).toEqual([14n, -14n]);
  });

  it('re-adding in another order gives the same aggregate; a different one is told apart', () => {
    const a = he.encryptSymmetric([1n, 2n], keys.secretKey);
    const b = he.encryptSymmetric([3n, 4n], keys.secretKey);
    const c = he.encryptSymmetric([3n, 4n], keys.secretKey);
    expect(he.ciphertextsEqual(he.addCiphertexts([a, b]), he.addCiphertexts([b, a]))).toBe(true);
    // Same plaintext, fresh randomness: a different ciphertext.
    expect(he.ciphertextsEqual(he.addCiphertexts([a, b]), he.addCiphertexts([a, c]))).toBe(false);
    expect(he.ciphertextsEqual(a, [])).toBe(false);
  });

  it('rejects garbage, truncated, corrupted and wrong-parameter ciphertexts with BAD_CIPHERTEXT', async () => {
    const good = he.encryptSymmetric([1n], keys.secretKey)[0] as Uint8Array;
    expect(
      badCiphertext(() => he.loadCiphertext(new Uint8Array([1, 2, 3, 4, 5]), 'node-a ciphertext 0'))
    ).toBe('BAD_CIPHERTEXT: node-a ciphertext 0: truncated: 5 bytes, a SEAL header alone is 16');
    expect(badCiphertext(() => he.loadCiphertext(good.subarray(0, 1000)))).toBe(
      `BAD_CIPHERTEXT: ciphertext: header says ${good.length} bytes but 1000 were given (truncated or padded)`
    );
    // Truncated with a header rewritten to match: SEAL itself must refuse it, not abort.
    const lying = good.slice(0, 100_000);
    new DataView(lying.buffer).setBigUint64(8, 100_000n, true);
    expect(badCiphertext(() => he.loadCiphertext(lying))).toMatch(
      /^BAD_CIPHERTEXT: ciphertext: SEAL refused it \(/
    );
    const flipped = good.slice();
    for (let i = 500; i < 600; i++) flipped[i] = (flipped[i] as number) ^ 0x5a;
    expect(badCiphertext(() => he.loadCiphertext(flipped))).toMatch(
      /^BAD_CIPHERTEXT: ciphertext: SEAL refused it/
    );
    expect(badCiphertext(() => he.addCiphertexts([[good], [good, good]]))).toBe(
      'BAD_CIPHERTEXT: contribution 1 has 2 ciphertexts, expected 1'
    );
    expect(badCiphertext(() => he.decrypt([good, good], keys.secretKey, 3))).toBe(
      'BAD_CIPHERTEXT: 2 ciphertexts for 3 values, expected 1'
    );
    // Same module, other parameters (N = 4096): valid SEAL, wrong parameter set.
    const seal = await loadSeal();
    const other = seal.EncryptionParameters(seal.SchemeType.bfv);
    other.setPolyModulusDegree(4096);
    const cm = seal.CoeffModulus.BFVDefault(4096, seal.SecurityLevel.tc128);
    other.setCoeffModulus(cm);
    const t = seal.PlainModulus.Batching(4096, 20);
    other.setPlainModulus(t);
    const ctx = seal.Context(other, true, seal.SecurityLevel.tc128);
    const kg = seal.KeyGenerator(ctx);
    const pk = kg.createPublicKey();
    const enc = seal.Encryptor(ctx, pk);
    const be = seal.BatchEncoder(ctx);
    const pt = be.encode(new BigUint64Array(4096));
    const foreign = enc.encrypt(pt as never) as {
      saveArray(m: unknown): Uint8Array;
      delete(): void;
    };
    const bytes = foreign.saveArray(seal.ComprModeType.zstd);
    for (const o of [
      foreign,
      pt as never as { delete(): void },
      be,
      enc,
      pk,
      kg,
      ctx,
      t,
      cm,
      other,
    ])
      o.delete();
    expect(badCiphertext(() => he.loadCiphertext(bytes, 'k2 ciphertext'))).toBe(
      'BAD_CIPHERTEXT: k2 ciphertext: SEAL refused it (ciphertext data is invalid)'
    );
    // SEAL still works afterwards.
    expect(he.decrypt(he.addCiphertexts([[good], [good]]), keys.secretKey, 1)).toEqual([2n]);
  });

  it('rejects every entry of a hostile-input corpus with a labelled BAD_CIPHERTEXT, and stays usable', () => {
    const withHeader = (body: Uint8Array, size?: bigint): Uint8Array => {
      const b = new Uint8Array(16 + body.length);
      const v = new DataView(b.buffer);
      v.setUint16(0, 0xa15e, true);
      v.setUint8(2, 16);
      v.setUint8(3, 4);
      v.setUint8(4, 0);
      v.setUint8(5, 2);
      v.setBigUint64(8, size ?? BigInt(b.length), true);
      b.set(body, 16);
      return b;
    };
    const random = new Uint8Array(65_536);
    globalThis.crypto.getRandomValues(random);
    const corpus: [string, unknown][] = [
      ['null', null],
      ['string', 'AAAA'],
      ['number array', [1, 2, 3]],
      ['empty', new Uint8Array(0)],
      ['header only', withHeader(new Uint8Array(0))],
      ['random body under a valid header', withHeader(random)],
      ['zstd magic then junk', withHeader(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4]))],
      ['size field 2^63', withHeader(random.subarray(0, 100), 1n << 63n)],
      ['5 MiB', new Uint8Array(5 * 1024 * 1024)],
    ];
    for (const [name, value] of corpus) {
      expect(
        badCiphertext(() => he.loadCiphertext(value as Uint8Array, `hostile ${name}`)).startsWith(
          `BAD_CIPHERTEXT: hostile ${name}: `
        ),
        name
      ).toBe(true);
      expect(
        badCiphertext(() => he.addCiphertexts([[value as Uint8Array]])),
        name
      ).toMatch(/^BAD_CIPHERTEXT: contribution 0 ciphertext 0: /);
    }
    expect(he.checkKeyPair(keys.secretKey, withHeader(random))).toBe(false);
    expect(he.decrypt(he.encryptSymmetric([-3n], keys.secretKey), keys.secretKey, 1)).toEqual([
      -3n,
    ]);
  });

  it('checks that a secret key matches a public key', () => {
    const other = he.generateKeys();
    expect(he.checkKeyPair(keys.secretKey, keys.publicKey)).toBe(true);
    expect(he.checkKeyPair(other.secretKey, keys.publicKey)).toBe(false);
    expect(badCiphertext(() => he.encryptSymmetric([1n], new Uint8Array(40)))).toMatch(
      /^BAD_REQUEST: HE secret key: /
    );
  });

  it('refuses values the plain modulus cannot carry', () => {
    expect(() => he.encryptSymmetric([HALF + 1n], keys.secretKey)).toThrow(
      /"values\[0\]" = 549755740161 is outside/
    );
  });

  it('frees its WASM objects: 200 encrypt+add cycles keep the WASM heap bounded', async () => {
    const own = createHe(await loadSeal(), 'bfv-8192-t40');
    try {
      const wasm = () => {
        const u = process.memoryUsage();
        return u.external - u.arrayBuffers; // WebAssembly memory counts here, JS ArrayBuffers do not.
      };
      let agg = own.encryptSymmetric([0n], keys.secretKey);
      for (let i = 0; i < 20; i++)
        agg = own.addCiphertexts([agg, own.encryptSymmetric([1n], keys.secretKey)]);
      const before = wasm();
      for (let i = 0; i < 200; i++)
        agg = own.addCiphertexts([agg, own.encryptSymmetric([1n], keys.secretKey)]);
      const grown = wasm() - before;
      // A leak of one ciphertext per cycle would be 200 x ~0.5 MB = 100 MB.
      expect(grown).toBeLessThan(16 * 1024 * 1024);
      expect(own.decrypt(agg, keys.secretKey, 1)).toEqual([220n]);
    } finally {
      own.dispose();
    }
    expect(() => own.generateKeys()).toThrow(/disposed/);
  });
});
