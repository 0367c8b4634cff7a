import { describe, expect, it } from 'vitest';
import type { JobRoundSpec } from './federation.ts';
import { contributorSetHash, roundSpecHash } from './round-binding.ts';

const H = 'ab'.repeat(32);
const spec = {
  name: 'regions',
  minNodes: 3,
  noise: 'on',
  deadline: '2026-01-01T00:02:00.000Z',
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 0.5,
  },
} as unknown as JobRoundSpec;

describe('roundSpecHash', () => {
  it('changes with every part of the spec a node computes on, not only the layout', () => {
    const base = roundSpecHash(spec);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    const variants: JobRoundSpec[] = [
      { ...spec, query: { ...spec.query, asOf: '2025-12-15' } as JobRoundSpec['query'] },
      { ...spec, deadline: '2026-01-01T00:03:00.000Z' },
      { ...spec, minNodes: 4 },
      { ...spec, noise: 'off-test-only' },
      { ...spec, query: { ...spec.query, epsilon: 0.25 } as JobRoundSpec['query'] },
    ];
    const hashes = variants.map(roundSpecHash);
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it('hashes the parsed spec, so a sender that fills in defaults gets the same hash', () => {
    const parsedOnce = JSON.parse(JSON.stringify(spec)) as JobRoundSpec;
    expect(roundSpecHash(parsedOnce)).toBe(roundSpecHash(spec));
    expect(roundSpecHash({ ...spec, extra: 'dropped' } as JobRoundSpec)).toBe(roundSpecHash(spec));
  });
});

describe('contributorSetHash', () => {
  const set = {
    jobId: 'j1',
    round: 0,
    specHash: H,
    contributions: [
      { node: 'b', ciphertextHashes: ['11'.repeat(32)] },
      { node: 'a', ciphertextHashes: ['22'.repeat(32)] },
    ],
  };

  it('does not depend on the order contributions are listed in', () => {
    const reversed = { ...set, contributions: [...set.contributions].reverse() };
    expect(contributorSetHash(reversed)).toBe(contributorSetHash(set));
  });

  it('differs for a subset, another spec hash or another ciphertext', () => {
    const all = contributorSetHash(set);
    expect(contributorSetHash({ ...set, contributions: set.contributions.slice(0, 1) })).not.toBe(
      all
    );
    expect(contributorSetHash({ ...set, specHash: 'cd'.repeat(32) })).not.toBe(all);
    expect(
      contributorSetHash({
        ...set,
        contributions: [
          { node: 'b', ciphertextHashes: ['33'.repeat(32)] },
          { node: 'a', ciphertextHashes: ['22'.repeat(32)] },
        ],
      })
    ).not.toBe(all);
  });
});
