import { z } from 'zod';
import { Hash256Schema, IdSchema } from '../schemas/common.ts';
import {
  Base64Schema,
  KeyIdSchema,
  NoiseModeSchema,
  SignatureHexSchema,
} from '../schemas/wire-primitives.ts';
import { canonicalHash } from '../hashing.ts';
import type { Canonical } from '../encoding.ts';
import { OVERLAP_MAX_NODES, OverlapJobSpecSchema, type OverlapJobSpec } from './overlap-spec.ts';

/**
 * Wire schemas of the overlap job (docs/overlap.md "Messages"). The coordinator relays PSI
 * messages between the two nodes of a pair; each is sealed to the recipient's box key (so the
 * coordinator sees lengths only) and signed by the sender over the hashes of its sealed chunks.
 */
export const OVERLAP_SPEC_HASH_DOMAIN = 'overlap-spec-hash';
export const OVERLAP_SPEC_DOMAIN = 'overlap-spec';
export const OVERLAP_MESSAGE_DOMAIN = 'overlap-message';
export const OVERLAP_RELEASE_DOMAIN = 'overlap-release';
export const OVERLAP_REFUSAL_DOMAIN = 'overlap-refusal';

/** Pairs of OVERLAP_MAX_NODES nodes. */
export const OVERLAP_MAX_PAIRS = (OVERLAP_MAX_NODES * (OVERLAP_MAX_NODES - 1)) / 2;
/**
 * Sealed chunks per message: 16 base64 blobs of at most 1.5 MiB, under the coordinator's 32 MiB
 * body limit, so one reply carries up to about 750,000 points (docs/overlap.md "Limits").
 */
export const OVERLAP_MAX_CHUNKS = 16;
/** Plaintext bytes per sealed chunk: a whole number of 32-byte points under the base64 bound. */
export const OVERLAP_CHUNK_BYTES = 32 * 49_000;

const PairSchema = z
  .number()
  .int()
  .min(0)
  .max(OVERLAP_MAX_PAIRS - 1);

export function overlapSpecHash(spec: OverlapJobSpec): string {
  return canonicalHash(
    OVERLAP_SPEC_HASH_DOMAIN,
    OverlapJobSpecSchema.parse(spec) as unknown as Canonical
  );
}

export function overlapSpecSigningPayload(s: { jobId: string; specHash: string }): Canonical {
  return { jobId: s.jobId, specHash: s.specHash };
}

export const OVERLAP_MESSAGE_STEPS = ['request', 'reply'] as const;

export const OverlapMessageSchema = z
  .object({
    version: z.literal(1),
    jobId: IdSchema,
    pair: PairSchema,
    step: z.enum(OVERLAP_MESSAGE_STEPS),
    from: IdSchema,
    to: IdSchema,
    specHash: Hash256Schema,
    /** nonce || XSalsa20-Poly1305 box from the sender's box key to the recipient's, per chunk. */
    sealed: z.array(Base64Schema).min(1).max(OVERLAP_MAX_CHUNKS),
    sealedHashes: z.array(Hash256Schema).min(1).max(OVERLAP_MAX_CHUNKS),
    signature: SignatureHexSchema,
  })
  .refine((m) => m.sealed.length === m.sealedHashes.length, {
    message: 'sealed and sealedHashes must have the same length',
    path: ['sealedHashes'],
  });
export type OverlapMessage = z.infer<typeof OverlapMessageSchema>;

export function overlapMessageSigningPayload(
  m: Omit<OverlapMessage, 'version' | 'sealed' | 'signature'>
): Canonical {
  return {
    jobId: m.jobId,
    pair: m.pair,
    step: m.step,
    from: m.from,
    to: m.to,
    specHash: m.specHash,
    sealedHashes: m.sealedHashes,
  };
}

/** The initiator's published figure: count - K, where K is the noise bound of the spec's epsilon. */
export const OverlapReleaseSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  pair: PairSchema,
  node: IdSchema,
  peer: IdSchema,
  specHash: Hash256Schema,
  /** |X ∩ Y| + L: the figure before clamping at 0 (exact under the test-only noise switch). */
  raw: z
    .number()
    .int()
    .min(-1_000_000)
    .max(1 << 22),
  noise: NoiseModeSchema,
  epsilonMicro: z.number().int().min(1),
  bound: z.number().int().min(0),
  signature: SignatureHexSchema,
});
export type OverlapRelease = z.infer<typeof OverlapReleaseSchema>;

export function overlapReleaseSigningPayload(
  r: Omit<OverlapRelease, 'version' | 'signature'>
): Canonical {
  return {
    jobId: r.jobId,
    pair: r.pair,
    node: r.node,
    peer: r.peer,
    specHash: r.specHash,
    raw: r.raw,
    noise: r.noise,
    epsilonMicro: r.epsilonMicro,
    bound: r.bound,
  };
}

export const OverlapRefusalSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  pair: PairSchema,
  node: IdSchema,
  specHash: Hash256Schema,
  reason: z.string().min(1).max(1000),
  signature: SignatureHexSchema,
});
export type OverlapRefusal = z.infer<typeof OverlapRefusalSchema>;

export function overlapRefusalSigningPayload(
  r: Omit<OverlapRefusal, 'version' | 'signature'>
): Canonical {
  return { jobId: r.jobId, pair: r.pair, node: r.node, specHash: r.specHash, reason: r.reason };
}

export const OVERLAP_TASK_STEPS = ['request', 'reply', 'count'] as const;

/**
 * One step of one pair for one node: `request` (initiator: blind and send its set), `reply`
 * (responder: answer the initiator's request, `message`), `count` (initiator: count the
 * responder's reply, `message`, and publish the figure).
 */
export const OverlapTaskSchema = z.object({
  type: z.literal('overlap'),
  jobId: IdSchema,
  keyId: KeyIdSchema,
  pair: PairSchema,
  step: z.enum(OVERLAP_TASK_STEPS),
  initiator: IdSchema,
  responder: IdSchema,
  spec: OverlapJobSpecSchema,
  specHash: Hash256Schema,
  specSignature: SignatureHexSchema,
  message: OverlapMessageSchema.optional(),
});
export type OverlapTask = z.infer<typeof OverlapTaskSchema>;

export const OVERLAP_PAIR_STATUSES = ['pending', 'published', 'failed'] as const;

/** One published (or failed) pairwise figure in a job result. */
export const OverlapFigureSchema = z.object({
  nodes: z.tuple([IdSchema, IdSchema]),
  status: z.enum(OVERLAP_PAIR_STATUSES),
  /** max(0, raw): the figure to read. */
  estimate: z.number().nullable(),
  raw: z.number().int().nullable(),
  noiseStd: z.number().min(0).nullable(),
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  epsilon: z.number(),
  /** The truncation's delta (0 without noise). */
  delta: z.number().min(0),
  reason: z.string().nullable(),
});
export type OverlapFigure = z.infer<typeof OverlapFigureSchema>;

export const OverlapResultSchema = z.object({
  matchingKey: z.string(),
  purpose: z.string(),
  pairs: z.array(OverlapFigureSchema),
});
export type OverlapResult = z.infer<typeof OverlapResultSchema>;
