import { beforeAll, describe, expect, it } from 'vitest';
import { HE_PARAMS, HE_PARAMS_IDS, type He, type HeKeyPair } from '@fedmark/protocol';
import { loadHe } from './seal.ts';

/**
 * The default parameter set carries money sums the 40-bit one cannot: values beyond +-5.5e11
 * survive encrypt -> add (64 contributions, as a large federation would) -> decrypt exactly.
 */
let he: He;
let keys: HeKeyPair;

beforeAll(async () => {
  he = await loadHe('bfv-8192-t60');
  keys = he.generateKeys();
});

describe('HE over SEAL (bfv-8192-t60, the default)', () => {
  it('is the default and reports the 60-bit batching prime', () => {
    expect(HE_PARAMS_IDS[0]).toBe('bfv-8192-t60');
    expect(he.plainModulus).toBe(1152921504606830593n);
    expect(HE_PARAMS['bfv-8192-t60'].plainModulus).toBe(he.plainModulus);
    expect(he.slotCount).toBe(8192);
  });

  it('sums 64 contributions beyond the 40-bit range exactly, negatives included', () => {
    // 10^7 customers x 5,000.00 in cents = 5e12 per node: 10x the 40-bit signed range.
    const perNode = [5_000_000_000_000n, -3_999_999_999_999n, 1n, 0n, 123_456_789_012_345n];
    const one = he.encryptSymmetric(perNode, keys.secretKey);
    const contributions = Array.from({ length: 64 }, () => one);
    const sum = he.decrypt(he.addCiphertexts(contributions), keys.secretKey, perNode.length);
    expect(sum).toEqual(perNode.map((v) => v * 64n));
  });
});
