import { z } from 'zod';
import type { Canonical } from '../encoding.ts';
import { canonicalHash } from '../hashing.ts';
import { Hash256Schema, IdSchema } from './common.ts';
import {
  Base64Schema,
  KeyIdSchema,
  PublicKeyHexSchema,
  SignatureHexSchema,
} from './wire-primitives.ts';

/**
 * Wire schemas of secure aggregation (docs/secure-aggregation.md): the setup a node sends before
 * its masked input (mask public key, commitment to its self-mask secret, boxed Shamir shares),
 * the advertisement of it that every other node checks, the coordinator's signed survivor and
 * dropped sets, and a survivor's unmask answer. Every signed message has a `...SigningPayload`.
 */

export const SECAGG_SETUP_DOMAIN = 'secagg-setup';
/** Plaintext domain of one boxed share pair (owner to holder). */
export const SECAGG_SHARE_DOMAIN = 'secagg-share';
export const SECAGG_COMMIT_DOMAIN = 'secagg-self-commit';
export const SECAGG_PARTICIPANTS_DOMAIN = 'secagg-participants';
export const SECAGG_SETS_DOMAIN = 'secagg-sets';
export const SECAGG_SETS_HASH_DOMAIN = 'secagg-sets-hash';
export const SECAGG_UNMASK_DOMAIN = 'secagg-unmask';

/** Shamir shares are at most 255 per secret (GF(2^8) x coordinates, secagg/shamir.ts). */
export const MAX_SECAGG_PARTICIPANTS = 255;

const RoundNumberSchema = z.number().int().min(0).max(1000);
const ThresholdSchema = z.number().int().min(2).max(MAX_SECAGG_PARTICIPANTS);
const NamesSchema = z.array(IdSchema).max(MAX_SECAGG_PARTICIPANTS);

const sortedNames = (names: readonly string[]): string[] =>
  [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * What every node signs and every other node checks before masking with it: the node's round mask
 * public key, a commitment to its self-mask secret, the threshold and participant set it shared
 * among (all advertisements of a round must agree on both), and the hash of each boxed share.
 */
export const SecaggAdvertSchema = z.object({
  jobId: IdSchema,
  round: RoundNumberSchema,
  node: IdSchema,
  specHash: Hash256Schema,
  threshold: ThresholdSchema,
  /** `secaggParticipantsHash` of the names the node shared among. */
  participantsHash: Hash256Schema,
  maskPublicKey: PublicKeyHexSchema,
  /** `secaggSelfCommitment` of the 32-byte self-mask secret. */
  selfCommitment: Hash256Schema,
  /** SHA-256 of each boxed share's bytes, by holder. */
  shareHashes: z.record(IdSchema, Hash256Schema),
  signature: SignatureHexSchema,
});
export type SecaggAdvert = z.infer<typeof SecaggAdvertSchema>;

export function secaggAdvertSigningPayload(a: Omit<SecaggAdvert, 'signature'>): Canonical {
  return {
    jobId: a.jobId,
    round: a.round,
    node: a.node,
    specHash: a.specHash,
    threshold: a.threshold,
    participantsHash: a.participantsHash,
    maskPublicKey: a.maskPublicKey,
    selfCommitment: a.selfCommitment,
    shareHashes: { ...a.shareHashes },
  };
}

/** `POST /v1/node/jobs/:jobId/rounds/:round/secagg/setup`: the advertisement and its boxed shares. */
export const SecaggSetupSchema = SecaggAdvertSchema.extend({
  version: z.literal(1),
  /** tweetnacl box (nonce || box) from the owner's box key to each holder's, by holder. */
  shares: z.record(IdSchema, Base64Schema),
}).refine(
  (s) =>
    sortedNames(Object.keys(s.shares)).join() === sortedNames(Object.keys(s.shareHashes)).join(),
  { message: 'shares and shareHashes must name the same holders', path: ['shareHashes'] }
);
export type SecaggSetup = z.infer<typeof SecaggSetupSchema>;

/** Order-independent hash of the participant names a node shares among. */
export function secaggParticipantsHash(names: readonly string[]): string {
  return canonicalHash(SECAGG_PARTICIPANTS_DOMAIN, { participants: sortedNames(names) });
}

/** The coordinator's closed sets for the unmask phase: who submitted masked input, who did not. */
export interface SecaggSets {
  jobId: string;
  round: number;
  specHash: string;
  survivors: readonly string[];
  dropped: readonly string[];
}

export function secaggSetsSigningPayload(s: SecaggSets): Canonical {
  return {
    jobId: s.jobId,
    round: s.round,
    specHash: s.specHash,
    survivors: sortedNames(s.survivors),
    dropped: sortedNames(s.dropped),
  };
}

export function secaggSetsHash(s: SecaggSets): string {
  return canonicalHash(SECAGG_SETS_HASH_DOMAIN, secaggSetsSigningPayload(s));
}

/**
 * `POST /v1/node/jobs/:jobId/rounds/:round/secagg/unmask`: a survivor's shares, the self-mask
 * share of each survivor and the mask-key share of each dropped node (never both for one node).
 */
export const SecaggUnmaskSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  round: RoundNumberSchema,
  node: IdSchema,
  /** `secaggSetsHash` of the sets the node answered. */
  setsHash: Hash256Schema,
  selfShares: z.record(IdSchema, Base64Schema),
  keyShares: z.record(IdSchema, Base64Schema),
  signature: SignatureHexSchema,
});
export type SecaggUnmask = z.infer<typeof SecaggUnmaskSchema>;

export function secaggUnmaskSigningPayload(
  u: Omit<SecaggUnmask, 'version' | 'signature'>
): Canonical {
  return {
    jobId: u.jobId,
    round: u.round,
    node: u.node,
    setsHash: u.setsHash,
    selfShares: { ...u.selfShares },
    keyShares: { ...u.keyShares },
  };
}

// ---- tasks ----

/** Phase 1 of a round: share the round's mask secrets among `participants`. */
export const SecaggSetupTaskSchema = z.object({
  type: z.literal('secagg_setup'),
  jobId: IdSchema,
  round: z.number().int().min(0),
  keyId: KeyIdSchema,
  participants: NamesSchema.min(3),
  threshold: ThresholdSchema,
  /** The round's spec hash and the coordinator's signature of it (as in job_round). */
  specHash: Hash256Schema,
  specSignature: SignatureHexSchema,
});
export type SecaggSetupTask = z.infer<typeof SecaggSetupTaskSchema>;

/** What a job_round task carries under secure aggregation: every advertisement of the round. */
export const SecaggRoundSchema = z.object({
  adverts: z.array(SecaggAdvertSchema).min(2).max(MAX_SECAGG_PARTICIPANTS),
});
export type SecaggRound = z.infer<typeof SecaggRoundSchema>;

/** Phase 4: reveal shares for the signed survivor and dropped sets. */
export const SecaggUnmaskTaskSchema = z.object({
  type: z.literal('secagg_unmask'),
  jobId: IdSchema,
  round: z.number().int().min(0),
  keyId: KeyIdSchema,
  specHash: Hash256Schema,
  survivors: NamesSchema.min(1),
  dropped: NamesSchema,
  setsSignature: SignatureHexSchema,
  /** The boxes addressed to this node, one per owner that sent a setup. */
  shares: z.array(z.object({ owner: IdSchema, box: Base64Schema })).max(MAX_SECAGG_PARTICIPANTS),
});
export type SecaggUnmaskTask = z.infer<typeof SecaggUnmaskTaskSchema>;
