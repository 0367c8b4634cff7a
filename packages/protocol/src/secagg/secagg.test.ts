import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, randomBytes } from '../hashing.ts';
import {
  type MaskRound,
  centred,
  chacha20Keystream,
  expandMask,
  maskKeyPair,
  maskPublicKeyOf,
  maskedInput,
  pairSeed,
  recoverFrom,
  selfSeed,
  shareAmong,
  unmaskSum,
} from './index.ts';

/** bfv-8192-t60's batching prime (packages/protocol/src/he/params.ts). */
const T60 = 1152921504606584833n;

describe('ChaCha20 keystream (RFC 8439)', () => {
  it('encrypts the §2.4.2 test vector: key 00..1f, nonce 00:00:00:00:00:00:00:4a:00:00:00:00, counter 1', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = hexToBytes('000000000000004a00000000');
    const text = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
    );
    const stream = chacha20Keystream(key, nonce, 1, text.length);
    const cipher = text.map((b, i) => b ^ (stream[i] as number));
    expect(bytesToHex(cipher)).toBe(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b' +
        'f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8' +
        '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736' +
        '5af90bbf74a35be6b40b8eedf2785e42874d'
    );
  });

  it('refuses a key or nonce of the wrong size', () => {
    expect(() => chacha20Keystream(new Uint8Array(31), new Uint8Array(12), 0, 8)).toThrow(
      '"key" expected 32 bytes, got length=31'
    );
    expect(() => chacha20Keystream(new Uint8Array(32), new Uint8Array(8), 0, 8)).toThrow(
      '"nonce" expected 12 bytes'
    );
  });
});

describe('X25519 agreement (RFC 7748 §6.1)', () => {
  it("gives Alice and Bob the RFC's shared secret, and both the same pair seed", () => {
    const alice = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = hexToBytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    expect(bytesToHex(maskPublicKeyOf(alice))).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'
    );
    expect(bytesToHex(nacl.scalarMult(alice, maskPublicKeyOf(bob)))).toBe(
      '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
    );
    const round: MaskRound = { jobId: 'j-1', round: 0, length: 4, modulus: T60 };
    const ab = pairSeed(round, 'alice', alice, 'bob', maskPublicKeyOf(bob));
    expect(bytesToHex(pairSeed(round, 'bob', bob, 'alice', maskPublicKeyOf(alice)))).toBe(
      bytesToHex(ab)
    );
    // Bound to the round: the same keys give an unrelated seed in round 1.
    expect(
      bytesToHex(pairSeed({ ...round, round: 1 }, 'alice', alice, 'bob', maskPublicKeyOf(bob)))
    ).not.toBe(bytesToHex(ab));
  });

  it('refuses a low-order peer key (all-zero shared secret)', () => {
    const round: MaskRound = { jobId: 'j-1', round: 0, length: 1, modulus: T60 };
    expect(() => pairSeed(round, 'a', randomBytes(32), 'b', new Uint8Array(32))).toThrow(
      'mask public key of b is a low-order point'
    );
  });
});

describe('expandMask', () => {
  it('is deterministic per seed, below the modulus, and differs between seeds', () => {
    const seed = randomBytes(32);
    const a = expandMask(seed, 1000, T60);
    expect(expandMask(seed, 1000, T60)).toEqual(a);
    expect(a.every((v) => v >= 0n && v < T60)).toBe(true);
    expect(expandMask(randomBytes(32), 1000, T60)).not.toEqual(a);
    // A prefix of a longer expansion: the stream continues across refills.
    expect(expandMask(seed, 5000, T60).slice(0, 1000)).toEqual(a);
  });

  it('is uniform on a small modulus (chi-square, 101 bins, 50,500 draws)', () => {
    const counts = new Array<number>(101).fill(0);
    for (const v of expandMask(randomBytes(32), 50_500, 101n)) counts[Number(v)]! += 1;
    const chi = counts.reduce((s, c) => s + (c - 500) ** 2 / 500, 0);
    // df = 100: reject above df + 6 sqrt(2 df) (docs/privacy.md's goodness-of-fit rule).
    expect(chi).toBeLessThan(100 + 6 * Math.sqrt(200));
  });
});

/** n nodes with their mask key pairs and self secrets, masking `inputs` for one round. */
function federation(names: string[], round: MaskRound, inputs: bigint[][]) {
  const keys = new Map(names.map((n) => [n, maskKeyPair()]));
  const secrets = new Map(names.map((n) => [n, randomBytes(32)]));
  const masked = names.map((me, u) =>
    maskedInput(
      round,
      me,
      inputs[u] as bigint[],
      selfSeed(round, me, secrets.get(me) as Uint8Array),
      names
        .filter((p) => p !== me)
        .map((peer) => ({
          peer,
          seed: pairSeed(
            round,
            me,
            keys.get(me)?.secretKey as Uint8Array,
            peer,
            keys.get(peer)?.publicKey as Uint8Array
          ),
        }))
    )
  );
  return { keys, secrets, masked };
}

const addMod = (vs: bigint[][], t: bigint, length: number): bigint[] =>
  Array.from({ length }, (_, i) => vs.reduce((s, v) => (s + (v[i] as bigint)) % t, 0n));

describe('masked aggregation', () => {
  it('with every node surviving, the masked sum unmasks to the exact plain sum (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 6 }),
        fc.array(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), {
          minLength: 1,
          maxLength: 8,
        }),
        (n, base) => {
          const names = Array.from({ length: n }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
          const round: MaskRound = { jobId: 'j-p', round: 2, length: base.length, modulus: T60 };
          const inputs = names.map((_, u) => base.map((v) => v * BigInt(u + 1)));
          const { secrets, masked } = federation(names, round, inputs);
          const sum = unmaskSum(
            round,
            addMod(masked, T60, base.length),
            names.map((u) => selfSeed(round, u, secrets.get(u) as Uint8Array)),
            []
          );
          const plain = base.map((_, i) => inputs.reduce((s, x) => s + (x[i] as bigint), 0n));
          expect(sum).toEqual(plain);
        }
      ),
      { numRuns: 25 }
    );
  });

  it('5 nodes, 1 and then 2 dropped after masking: the survivors sum exactly, from recovered secrets', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const round: MaskRound = { jobId: 'j-drop', round: 0, length: 6, modulus: T60 };
    const inputs = names.map((_, u) =>
      [1n, -2n, 3n, 0n, 10n ** 9n, -(10n ** 9n)].map((v) => v * BigInt(u + 7))
    );
    const { keys, secrets, masked } = federation(names, round, inputs);
    // Each node shares its self secret and its mask secret key among all five (threshold 3).
    const selfShares = new Map<string, Map<string, Uint8Array>>();
    const keyShares = new Map<string, Map<string, Uint8Array>>();
    for (const u of names) {
      selfShares.set(u, await shareAmong(secrets.get(u) as Uint8Array, names, 3));
      keyShares.set(u, await shareAmong(keys.get(u)?.secretKey as Uint8Array, names, 3));
    }
    for (const dropped of [['e'], ['d', 'e']]) {
      const survivors = names.filter((u) => !dropped.includes(u));
      const received = survivors.map((u) => masked[names.indexOf(u)] as bigint[]);
      // Survivors reveal self-secret shares of survivors, mask-key shares of the dropped.
      const selfSeeds = await Promise.all(
        survivors.map(async (u) => {
          const shares = survivors.map((h) => selfShares.get(u)?.get(h) as Uint8Array);
          return selfSeed(round, u, await recoverFrom(shares.slice(0, 3), 3));
        })
      );
      const orphanPairs = [];
      for (const d of dropped) {
        const shares = survivors.map((h) => keyShares.get(d)?.get(h) as Uint8Array);
        const secretKey = await recoverFrom(shares.slice(0, 3), 3);
        // The recovered key is checked against the public key the dropped node advertised.
        expect(bytesToHex(maskPublicKeyOf(secretKey))).toBe(
          bytesToHex(keys.get(d)?.publicKey as Uint8Array)
        );
        for (const s of survivors) {
          orphanPairs.push({
            survivor: s,
            dropped: d,
            seed: pairSeed(round, d, secretKey, s, keys.get(s)?.publicKey as Uint8Array),
          });
        }
      }
      const sum = unmaskSum(round, addMod(received, T60, 6), selfSeeds, orphanPairs);
      const plain = [0, 1, 2, 3, 4, 5].map((i) =>
        survivors.reduce((s, u) => s + (inputs[names.indexOf(u)]?.[i] as bigint), 0n)
      );
      expect(sum).toEqual(plain);
    }
  });

  it('fewer shares than the threshold are refused', async () => {
    const shares = await shareAmong(randomBytes(32), ['a', 'b', 'c', 'd'], 3);
    await expect(
      recoverFrom([shares.get('a') as Uint8Array, shares.get('b') as Uint8Array], 3)
    ).rejects.toThrow('"shares" expected at least 3, got 2');
    await expect(shareAmong(randomBytes(32), ['a', 'b'], 3)).rejects.toThrow(
      '"threshold" expected 2..2'
    );
  });

  it("one node's masked input is uniform whatever its value: its decryption says nothing about it", () => {
    // Small modulus so the distribution can be tested: 2,020 rounds per input value, 101 bins,
    // each round with fresh seeds (as fresh mask keys and self secrets give).
    const t = 101n;
    const histogram = (x: bigint) => {
      const counts = new Array<number>(101).fill(0);
      for (let r = 0; r < 2020; r++) {
        const round: MaskRound = { jobId: 'j-u', round: r, length: 1, modulus: t };
        const pairs = ['b', 'c'].map((peer) => ({ peer, seed: randomBytes(32) }));
        const [y] = maskedInput(round, 'a', [x], randomBytes(32), pairs);
        counts[Number(y)]! += 1;
      }
      return counts;
    };
    for (const x of [0n, 50n]) {
      const counts = histogram(x);
      const chi = counts.reduce((s, c) => s + (c - 20) ** 2 / 20, 0);
      expect(chi).toBeLessThan(100 + 6 * Math.sqrt(200));
    }
  });

  it('centred maps [0, t) onto (-t/2, t/2]', () => {
    expect([0n, 50n, 51n, 100n].map((v) => centred(v, 101n))).toEqual([0n, 50n, -50n, -1n]);
  });
});
