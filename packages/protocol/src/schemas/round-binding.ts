import type { Canonical } from '../encoding.ts';
import { canonicalHash } from '../hashing.ts';
import { type ContributionRef, type JobRoundSpec, JobRoundSpecSchema } from './federation.ts';

/**
 * What binds a round (docs/federation-protocol.md "Bound round specs", "Decrypt once"): the hash
 * of the full round spec every node computes on, and the closed set of contributions a round's
 * aggregate sums, both signed by the coordinator.
 */

/** Hash domain of `roundSpecHash`. */
export const ROUND_SPEC_HASH_DOMAIN = 'round-spec-hash';
/** Signing domain of the coordinator's `{jobId, round, specHash}`. */
export const ROUND_SPEC_DOMAIN = 'round-spec';
/** Hash domain of `contributorSetHash`. */
export const CONTRIBUTOR_SET_HASH_DOMAIN = 'contributor-set-hash';
/** Signing domain of the coordinator's closed contributor set. */
export const CONTRIBUTOR_SET_DOMAIN = 'contributor-set';

/**
 * Hash of the whole round spec: query (purpose, asOf, bounds, params such as RFM means, a train
 * round's model and validation split), minNodes, noise and deadline. The spec is parsed first so
 * both sides hash the same normalized value (defaults filled, unknown fields dropped).
 */
export function roundSpecHash(spec: JobRoundSpec): string {
  return canonicalHash(
    ROUND_SPEC_HASH_DOMAIN,
    JobRoundSpecSchema.parse(spec) as unknown as Canonical
  );
}

export function roundSpecSigningPayload(s: {
  jobId: string;
  round: number;
  specHash: string;
}): Canonical {
  return { jobId: s.jobId, round: s.round, specHash: s.specHash };
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The closed contributor set: contributor names sorted, each with its ciphertext hashes. */
export function contributorSetSigningPayload(s: {
  jobId: string;
  round: number;
  specHash: string;
  contributions: readonly Pick<ContributionRef, 'node' | 'ciphertextHashes'>[];
}): Canonical {
  return {
    jobId: s.jobId,
    round: s.round,
    specHash: s.specHash,
    contributors: [...s.contributions]
      .sort((x, y) => byName(x.node, y.node))
      .map((c) => ({ node: c.node, ciphertextHashes: [...c.ciphertextHashes] })),
  };
}

export function contributorSetHash(s: Parameters<typeof contributorSetSigningPayload>[0]): string {
  return canonicalHash(CONTRIBUTOR_SET_HASH_DOMAIN, contributorSetSigningPayload(s));
}
