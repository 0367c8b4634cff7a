import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { hashMatchingKey, hashMatchingKeys, isValidPsiPoint } from './hash-to-group.ts';
import { psiInitiatorCount, psiInitiatorRequest, psiResponderReply } from './psi-cardinality.ts';
import { PSI_MAX_SET_SIZE } from './psi-limits.ts';
import { hashPsiDummies, psiDummyDomainTag, randomPsiPoints } from './psi-padding.ts';
import { PsiSecret } from './psi-secret.ts';

const hexes = (packed: Uint8Array) =>
  Array.from({ length: packed.length / 32 }, (_, i) =>
    bytesToHex(packed.subarray(32 * i, 32 * i + 32))
  );
const dummies = (
  count: number,
  from = 0,
  scope = 'job-1:node-a:node-b',
  federationId = 'fed-demo'
) => hashPsiDummies({ federationId, scope, from, count });

describe('hashPsiDummies', () => {
  it('uses its own DST', () => {
    expect(psiDummyDomainTag('fed-demo')).toBe(
      'fedmark-psi-v2-dummy|fed-demo|curve25519_XMD:SHA-512_ELL2_RO_'
    );
  });

  it('matches the vectors of an independent implementation', () => {
    // hash-to-group.reference.py (an independent Python hash_to_curve) on
    // `dummy:job-1:node-a:node-b:0` and `:1` under the dummy DST; frozen here.
    expect(hexes(dummies(2))).toEqual([
      '6a7f6b216a8da7fe44ae7dc7b55c53f3ebb484b36756c00af2d7ba1220e8761c',
      'b2e038b01bc1a29ba75944bcf7471ece925e255fa44cb0fff195364f17c2fb3e',
    ]);
  });

  it('is deterministic, and a range is a slice of a longer range', () => {
    expect(dummies(5)).toEqual(dummies(5));
    expect(dummies(2, 3)).toEqual(dummies(5).subarray(96));
    expect(dummies(0)).toEqual(new Uint8Array(0));
  });

  it('gives valid, distinct points that differ by scope and federation', () => {
    const d = hexes(dummies(50));
    expect(new Set(d).size).toBe(50);
    for (const p of chunks(dummies(50))) expect(isValidPsiPoint(p)).toBe(true);
    const other = [
      ...hexes(dummies(50, 0, 'job-2:node-a:node-b')),
      ...hexes(dummies(50, 0, undefined, 'fed-x')),
    ];
    for (const h of other) expect(d.includes(h)).toBe(false);
  });

  it('never equals the point of a real key, even one spelled like a dummy key', () => {
    const d = new Set(hexes(dummies(20)));
    for (const kind of ['partner_id', 'email', 'phone', 'national_id_hash'] as const) {
      expect(
        d.has(bytesToHex(hashMatchingKey('fed-demo', kind, 'dummy:job-1:node-a:node-b:0')))
      ).toBe(false);
    }
    const keys = Array.from({ length: 20 }, (_, i) => `dummy:job-1:node-a:node-b:${i}`);
    for (const h of hexes(hashMatchingKeys('fed-demo', 'partner_id', keys)))
      expect(d.has(h)).toBe(false);
  });

  it('refuses a bad federation, scope or range', () => {
    expect(() => dummies(1, 0, 'job-1', 'fed|x')).toThrow(
      '"federationId" expected 1-128 characters of letters, digits, . _ : -'
    );
    for (const scope of ['', 'job 1', 'job|1', ':job', 'j'.repeat(513)]) {
      expect(() => dummies(1, 0, scope)).toThrow(
        '"scope" expected 1-512 characters of letters, digits, . _ : -'
      );
    }
    expect(() => dummies(1, -1)).toThrow('"from" expected a non-negative integer');
    expect(() => dummies(1, 0.5)).toThrow('"from" expected a non-negative integer');
    expect(() => dummies(PSI_MAX_SET_SIZE + 1)).toThrow(
      `"count" expected an integer in 0..${PSI_MAX_SET_SIZE}`
    );
    expect(() => dummies(2, Number.MAX_SAFE_INTEGER)).toThrow('"from + count" is too large');
  });
});

function chunks(packed: Uint8Array): Uint8Array[] {
  return Array.from({ length: packed.length / 32 }, (_, i) => packed.subarray(32 * i, 32 * i + 32));
}

describe('randomPsiPoints', () => {
  it('gives valid, distinct points, fresh on every call', () => {
    const one = randomPsiPoints(40);
    const two = randomPsiPoints(40);
    expect(one.length).toBe(40 * 32);
    for (const p of chunks(one)) expect(isValidPsiPoint(p)).toBe(true);
    expect(new Set([...hexes(one), ...hexes(two)]).size).toBe(80);
    expect(randomPsiPoints(0)).toEqual(new Uint8Array(0));
  });

  it('draws more than one batch of 1024 seeds', () => {
    expect(new Set(hexes(randomPsiPoints(1030))).size).toBe(1030);
  });

  it('refuses a count that is not an integer in range', () => {
    for (const n of [-1, 1.5, PSI_MAX_SET_SIZE + 1, Number.NaN]) {
      expect(() => randomPsiPoints(n)).toThrow(RangeError);
    }
  });
});

describe('dummies and padding in a PSI run', () => {
  it('shared dummies add exactly their number to the count, padding adds nothing', () => {
    const fed = 'fed-demo';
    const shared = Array.from({ length: 6 }, (_, i) => `s${i}@x.org`);
    const xs = [...shared, 'a1@x.org', 'a2@x.org'];
    const ys = [...shared, 'b1@x.org'];
    const d = dummies(4);
    const withExtras = (keys: string[], pad: number) =>
      new Uint8Array([...hashMatchingKeys(fed, 'email', keys), ...d, ...randomPsiPoints(pad)]);
    const a = PsiSecret.random();
    const b = PsiSecret.random();
    const ownA = withExtras(xs, 5);
    const request = psiInitiatorRequest({ secret: a, ownPoints: ownA });
    const reply = psiResponderReply({ secret: b, request, ownPoints: withExtras(ys, 7) });
    const result = psiInitiatorCount({ secret: a, requestSize: ownA.length / 32, reply });
    expect(result).toEqual({ intersectionSize: 6 + 4, initiatorSetSize: 17, responderSetSize: 18 });
  });
});
