import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { HE_PARAMS } from '../he/params.ts';
import { generateBoxKeyPair, generateSigningKeyPair } from '../signing.ts';
import { bytesToHex, fromBase64, toBase64 } from '../hashing.ts';
import { isProtocolError } from '../errors.ts';
import type { SecaggSetup } from '../schemas/secagg.ts';
import {
  advertOf,
  answerUnmask,
  applyCorrection,
  checkAdverts,
  checkSets,
  createSetup,
  maskCorrection,
  maskRelease,
  secaggThreshold,
  setupMatchesAdvert,
  type SecaggSecrets,
} from './index.ts';

/**
 * One secure-aggregation round through the protocol operations alone (no HE, no HTTP): five
 * nodes set up, some mask and submit, survivors answer the unmask, the coordinator's correction
 * turns the masked sum into the survivors' exact sum (docs/secure-aggregation.md).
 */
const T = HE_PARAMS['bfv-8192-t60'].plainModulus;
const R = { jobId: 'j-1', round: 0 };
const SPEC = 'ab'.repeat(32);
const names = ['a', 'b', 'c', 'd', 'e'];
const nodes = names.map((name) => ({
  name,
  signing: generateSigningKeyPair(),
  box: generateBoxKeyPair(),
}));
const byName = new Map(nodes.map((n) => [n.name, n]));
const signingKeyOf = (n: string) => {
  const x = byName.get(n);
  return x ? bytesToHex(x.signing.publicKey) : undefined;
};
const vector = (k: number) => Array.from({ length: 7 }, (_, i) => BigInt(k * 1000 + i - 3));
const threshold = secaggThreshold(names.length, 3);

async function setupAll(): Promise<Map<string, { setup: SecaggSetup; secrets: SecaggSecrets }>> {
  const out = new Map<string, { setup: SecaggSetup; secrets: SecaggSecrets }>();
  for (const n of nodes) {
    out.set(
      n.name,
      await createSetup({
        ...R,
        node: n.name,
        specHash: SPEC,
        threshold,
        participants: nodes.map((p) => ({ name: p.name, boxKey: p.box.publicKey })),
        signingSecretKey: n.signing.secretKey,
        boxSecretKey: n.box.secretKey,
      })
    );
  }
  return out;
}

function unmaskBy(
  holder: string,
  setups: Map<string, { setup: SecaggSetup }>,
  sets: { survivors: string[]; dropped: string[] }
) {
  const me = byName.get(holder)!;
  return answerUnmask({
    sets: { ...R, specHash: SPEC, ...sets },
    me: holder,
    boxes: [...setups.values()].map((s) => ({ owner: s.setup.node, box: s.setup.shares[holder]! })),
    ownerBoxKey: (o) => byName.get(o)?.box.publicKey,
    boxSecretKey: me.box.secretKey,
    signingSecretKey: me.signing.secretKey,
  });
}

describe('a secure-aggregation round', () => {
  it('takes a strict majority as threshold, never below minNodes', () => {
    expect(secaggThreshold(3, 3)).toBe(3);
    expect(secaggThreshold(5, 3)).toBe(3);
    expect(secaggThreshold(10, 3)).toBe(6);
    expect(secaggThreshold(4, 4)).toBe(4);
  });

  it('publishes the exact sum of the survivors when 1 drops before input and 1 after', async () => {
    const setups = await setupAll();
    const adverts = [...setups.values()].map((s) => advertOf(s.setup));
    for (const s of setups.values()) expect(setupMatchesAdvert(s.setup)).toBe(true);
    // e never submits masked input (dropped); d submits, then never answers the unmask.
    const submitters = ['a', 'b', 'c', 'd'];
    const masked = submitters.map((n, k) => {
      const own = setups.get(n)!;
      const checked = checkAdverts(advertOf(own.setup), adverts, signingKeyOf);
      return maskRelease({ ...R, modulus: T }, n, vector(k + 1), own.secrets, checked);
    });
    const maskedSum = masked[0]!.map((_, i) => masked.reduce((s, v) => s + v[i]!, 0n));
    const sets = { survivors: submitters, dropped: ['e'] };
    const answers = ['a', 'b', 'c'].map((h) => {
      checkSets({ ...R, specHash: SPEC, ...sets }, h, names, threshold);
      return unmaskBy(h, setups, sets);
    });
    expect(answers[0]!.selfShares).toHaveProperty('d');
    expect(answers[0]!.keyShares).not.toHaveProperty('d');
    expect(answers[0]!.keyShares).toHaveProperty('e');
    expect(answers[0]!.selfShares).not.toHaveProperty('e');
    const correction = await maskCorrection({
      sets: { ...R, specHash: SPEC, ...sets },
      length: 7,
      modulus: T,
      threshold,
      adverts,
      answers,
    });
    const plain = vector(1).map(
      (_, i) => vector(1)[i]! + vector(2)[i]! + vector(3)[i]! + vector(4)[i]!
    );
    expect(applyCorrection(maskedSum, correction, T)).toEqual(plain);
    // The masked sum itself is nowhere near it.
    expect(maskedSum).not.toEqual(plain);
  });

  it('cannot rebuild a secret from fewer than threshold answers', async () => {
    const setups = await setupAll();
    const adverts = [...setups.values()].map((s) => advertOf(s.setup));
    const sets = { survivors: names, dropped: [] };
    const answers = ['a', 'b'].map((h) => unmaskBy(h, setups, sets));
    await expect(
      maskCorrection({
        sets: { ...R, specHash: SPEC, ...sets },
        length: 7,
        modulus: T,
        threshold,
        adverts,
        answers,
      })
    ).rejects.toThrow(/2 shares for a, the threshold is 3/);
  });

  it('refuses sets that name a node both survivor and dropped, leave out a node, or leave out the holder', () => {
    const s = (survivors: string[], dropped: string[]) => ({
      ...R,
      specHash: SPEC,
      survivors,
      dropped,
    });
    const code = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return isProtocolError(err) ? err.code : 'other';
      }
      return 'accepted';
    };
    expect(code(() => checkSets(s(['a', 'b', 'c', 'd'], ['d', 'e']), 'a', names, threshold))).toBe(
      'CONFLICT'
    );
    expect(code(() => checkSets(s(['a', 'b', 'c'], ['d']), 'a', names, threshold))).toBe(
      'CONFLICT'
    );
    expect(code(() => checkSets(s(['b', 'c', 'd'], ['a', 'e']), 'a', names, threshold))).toBe(
      'FORBIDDEN'
    );
    expect(code(() => checkSets(s(['a', 'b'], ['c', 'd', 'e']), 'a', names, threshold))).toBe(
      'QUORUM_NOT_MET'
    );
    expect(code(() => checkSets(s(['a', 'b', 'c'], ['d', 'e']), 'a', names, threshold))).toBe(
      'accepted'
    );
  });

  it('refuses advertisements signed by someone else, for another spec, or with another threshold', async () => {
    const setups = await setupAll();
    const adverts = [...setups.values()].map((s) => advertOf(s.setup));
    const own = adverts[0]!;
    const forged = { ...adverts[1]!, maskPublicKey: bytesToHex(nacl.box.keyPair().publicKey) };
    expect(() => checkAdverts(own, [own, forged, ...adverts.slice(2)], signingKeyOf)).toThrow(
      /not signed by it/
    );
    const other = { ...adverts[2]!, threshold: 2 };
    expect(() => checkAdverts(own, [...adverts.slice(0, 2), other], signingKeyOf)).toThrow(
      /another participant set or threshold/
    );
    expect(() => checkAdverts(own, adverts.slice(0, 2), signingKeyOf)).toThrow(/threshold is 3/);
    expect(() => checkAdverts(own, adverts.slice(1), signingKeyOf)).toThrow(/own advertisement/);
  });

  it('refuses a share box replayed to another holder', async () => {
    const setups = await setupAll();
    // The coordinator hands b the box a's setup made for c.
    const boxes = [...setups.values()].map((s) => ({
      owner: s.setup.node,
      box: s.setup.shares['b']!,
    }));
    boxes[0] = { owner: 'a', box: setups.get('a')!.setup.shares['c']! };
    expect(() =>
      answerUnmask({
        sets: { ...R, specHash: SPEC, survivors: names, dropped: [] },
        me: 'b',
        boxes,
        ownerBoxKey: (o) => byName.get(o)?.box.publicKey,
        boxSecretKey: byName.get('b')!.box.secretKey,
        signingSecretKey: byName.get('b')!.signing.secretKey,
      })
    ).toThrow(/does not open|another round or holder/);
    // A box re-encoded unchanged still opens: the check is on content, not on transport.
    expect(toBase64(fromBase64(boxes[1]!.box))).toBe(boxes[1]!.box);
  });
});

describe('share boxes with the cached agreement', () => {
  it('are sealBox / openBox byte for byte: either opens the other', async () => {
    const { sealShareBox, openShareBox } = await import('./box-keys.ts');
    const { openBox, sealBox } = await import('../signing.ts');
    const [x, y] = [generateBoxKeyPair(), generateBoxKeyPair()];
    const msg = new Uint8Array(98).map((_, i) => i);
    for (let i = 0; i < 2; i++) {
      expect(
        openBox(sealShareBox(msg, y.publicKey, x.secretKey), x.publicKey, y.secretKey)
      ).toEqual(msg);
      expect(
        openShareBox(sealBox(msg, y.publicKey, x.secretKey), x.publicKey, y.secretKey)
      ).toEqual(msg);
    }
    const forged = sealShareBox(msg, y.publicKey, x.secretKey);
    forged[40] = (forged[40] as number) ^ 1;
    expect(() => openShareBox(forged, x.publicKey, y.secretKey)).toThrow(/authentication/);
    // Another sender's key does not open it.
    expect(() =>
      openShareBox(
        sealShareBox(msg, y.publicKey, x.secretKey),
        generateBoxKeyPair().publicKey,
        y.secretKey
      )
    ).toThrow();
  });
});

describe('mask sums in number limbs', () => {
  it('equal the BigInt sum of the expanded masks, mod t, for both moduli and a small one', async () => {
    const { expandMask, maskedInput } = await import('./index.ts');
    for (const t of [T, HE_PARAMS['bfv-8192-t40'].plainModulus, 101n]) {
      const round = { jobId: 'j', round: 2, length: 300, modulus: t };
      const values = Array.from({ length: 300 }, (_, i) => BigInt(i * 37) - 5000n);
      const self = nacl.randomBytes(32);
      const pairs = ['a', 'm', 'z'].map((peer) => ({ peer, seed: nacl.randomBytes(32) }));
      const expected = values.map((v, i) => {
        let x = v + (expandMask(self, 300, t)[i] as bigint);
        for (const p of pairs)
          x += ('k' < p.peer ? 1n : -1n) * (expandMask(p.seed, 300, t)[i] as bigint);
        return ((x % t) + t) % t;
      });
      expect(maskedInput(round, 'k', values, self, pairs)).toEqual(expected);
    }
  });
});
