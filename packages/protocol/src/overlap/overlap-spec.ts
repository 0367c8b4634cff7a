import { z } from 'zod';
import { EpsilonSchema, IdSchema, PurposeSchema } from '../schemas/common.ts';
import { NoiseModeSchema } from '../schemas/wire-primitives.ts';
import { MATCHING_KEY_KINDS } from '../psi/normalise-key.ts';

/**
 * The `overlap` job (docs/overlap.md): how many customers each pair of participating nodes
 * share, released as DP figures. No aggregation runs, so the floor of three contributors that
 * protects a sum (docs/architecture.md §3) does not apply: a pair is the unit.
 */
export const OVERLAP_MIN_NODES = 2;
/** At most 16 nodes: 120 pairs, each a PSI run of its own at both of its nodes. */
export const OVERLAP_MAX_NODES = 16;

export const OverlapSpecSchema = z
  .object({
    /** Consent purpose that must be in force for a customer at both nodes of a pair. */
    purpose: PurposeSchema.default('analytics'),
    /** The identifier both nodes match on; each node declares where it holds it (policy `matching`). */
    matchingKey: z.enum(MATCHING_KEY_KINDS),
    /**
     * Epsilon of each published pairwise figure. Each node pays it once per pair it is in, so a
     * node of an n-node job pays (n - 1) x epsilon.
     */
    epsilon: EpsilonSchema.default(1),
  })
  .strict();
export type OverlapSpec = z.infer<typeof OverlapSpecSchema>;

export const OverlapJobSpecSchema = z.object({
  version: z.literal(1),
  kind: z.literal('overlap'),
  name: z.string().min(1).max(200).default('overlap'),
  /** Participants; default all members of the active key epoch. */
  nodes: z.array(IdSchema).min(OVERLAP_MIN_NODES).max(OVERLAP_MAX_NODES).optional(),
  minNodes: z.number().int().min(OVERLAP_MIN_NODES).max(OVERLAP_MAX_NODES).default(2),
  /** The whole job: pairs not finished by then fail. */
  deadlineMs: z
    .number()
    .int()
    .min(1000)
    .max(7 * 24 * 3600 * 1000)
    .default(300_000),
  noise: NoiseModeSchema.default('on'),
  overlap: OverlapSpecSchema,
});
export type OverlapJobSpec = z.infer<typeof OverlapJobSpecSchema>;

/** One pair of an overlap job: the initiator learns the noised count, the responder adds the noise. */
export interface OverlapPair {
  pair: number;
  initiator: string;
  responder: string;
}

/** Every unordered pair of the (sorted) participants, numbered in lexicographic order. */
export function overlapPairs(participants: readonly string[]): OverlapPair[] {
  const names = [...new Set(participants)].sort();
  const pairs: OverlapPair[] = [];
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++)
      pairs.push({
        pair: pairs.length,
        initiator: names[i] as string,
        responder: names[j] as string,
      });
  return pairs;
}
