import { describe, expect, it } from 'vitest';
import { hashMatchingKeys } from '@fedmark/protocol';
import { hashMatchingKeysInParallel } from './parallel-hash.ts';

const keys = Array.from({ length: 1_001 }, (_, i) => `customer-${i}@example.org`);

describe('hashMatchingKeysInParallel', () => {
  it('gives byte for byte the points of hashMatchingKeys, in input order, across uneven slices', async () => {
    const expected = hashMatchingKeys('fed-test', 'email', keys);
    const got = await hashMatchingKeysInParallel('fed-test', 'email', keys, {
      threads: 3,
      minKeys: 0,
    });
    expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
  });

  it('hashes inline below minKeys, and keys of another federation give other points', async () => {
    const few = keys.slice(0, 10);
    const inline = await hashMatchingKeysInParallel('fed-test', 'email', few, { threads: 2 });
    expect(
      Buffer.from(inline).equals(Buffer.from(hashMatchingKeys('fed-test', 'email', few)))
    ).toBe(true);
    const other = await hashMatchingKeysInParallel('fed-other', 'email', few, { threads: 2 });
    expect(Buffer.from(other).equals(Buffer.from(inline))).toBe(false);
  });
});
