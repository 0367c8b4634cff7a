import { z } from 'zod';
import {
  Base64Schema,
  IsoTimestampSchema,
  KeyIdSchema,
  MAX_CIPHERTEXTS,
  MAX_LAYOUT_SLOTS,
  DecimalIntSchema,
  NoiseModeSchema,
  PublicKeyHexSchema,
  SignatureHexSchema,
} from './wire-primitives.ts';
import { EpsilonSchema, Hash256Schema, IdSchema } from './common.ts';
import { SegmentQuerySchema } from './segment-query.ts';
import { DEFAULT_DELTA, DeltaSchema, MechanismSchema } from '../dp/mechanism.ts';
import { HE_PARAMS_IDS } from '../he/params.ts';
import { canonicalHash } from '../hashing.ts';
import { TrainSpecSchema } from '../model/train-spec.ts';
import { ModelSchema } from '../model/model-format.ts';
import type { Canonical } from '../encoding.ts';
import { SealedDataKeySchema } from './key-bundle.ts';
import { SecaggRoundSchema, SecaggSetupTaskSchema, SecaggUnmaskTaskSchema } from './secagg.ts';
import { OverlapJobSpecSchema } from '../overlap/overlap-spec.ts';
import { ClvFitSpecSchema, ClvRoundQuerySchema } from '../clv/clv-job.ts';
import { ClvModelSchema } from '../clv/clv-model.ts';
import { OverlapResultSchema, OverlapTaskSchema } from '../overlap/overlap-messages.ts';

/**
 * Wire schemas of the federation protocol (docs/federation-protocol.md): enrollment, node task
 * polling, the key ceremony, job rounds, submissions, decryptions and results. Every signed
 * message has a `<name>SigningPayload(msg)` returning exactly the value signed with
 * `signCanonical(<NAME>_DOMAIN, payload, key)`, so node and coordinator sign the same bytes.
 */

// ---- domains (one per signed message kind; see encoding.ts for domain separation) ----
export const ENROLL_DOMAIN = 'enroll';
export const NODE_REQUEST_DOMAIN = 'node-request';
export const KEY_ACK_DOMAIN = 'key-ack';
/** Domain of `keyMembersHash`: the member set (names, signing and box keys) of a key epoch. */
export const KEY_MEMBERS_DOMAIN = 'key-members';
export const SUBMISSION_DOMAIN = 'submission';
export const REFUSAL_DOMAIN = 'refusal';
export const RECEIPT_DOMAIN = 'receipt';
export const DECRYPTION_DOMAIN = 'decryption';

// ---- primitives (wire-primitives.ts, re-exported) ----
export * from './wire-primitives.ts';

// ---- membership ----
export const MemberSchema = z.object({
  name: IdSchema,
  signingKey: PublicKeyHexSchema,
  boxKey: PublicKeyHexSchema,
});
export type Member = z.infer<typeof MemberSchema>;

/**
 * HE parameter set ids on the wire. The sets themselves (and the `HeParamsId` type,
 * `HE_PARAMS_IDS`) live in he/params.ts; this list must name the same ids.
 */
export const HeParamsIdSchema = z.enum(HE_PARAMS_IDS);

// ---- enrollment ----
export const EnrollRequestSchema = z.object({
  version: z.literal(1),
  name: IdSchema,
  signingKey: PublicKeyHexSchema,
  boxKey: PublicKeyHexSchema,
  token: z.string().regex(/^[0-9a-f]{64}$/, 'expected a 64-hex-character enrollment token'),
  signature: SignatureHexSchema,
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

export function enrollSigningPayload(m: Omit<EnrollRequest, 'version' | 'signature'>): Canonical {
  return { name: m.name, signingKey: m.signingKey, boxKey: m.boxKey, token: m.token };
}

export const EnrollResponseSchema = z.object({
  version: z.literal(1),
  name: IdSchema,
  coordinatorKey: PublicKeyHexSchema,
});
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;

/** Operator: admit a node by its public keys. */
export const AdmitNodeRequestSchema = z.object({
  name: IdSchema,
  signingKey: PublicKeyHexSchema,
  boxKey: PublicKeyHexSchema,
});
export type AdmitNodeRequest = z.infer<typeof AdmitNodeRequestSchema>;

export const NodeInfoSchema = MemberSchema.extend({
  admittedAt: IsoTimestampSchema,
  lastSeenAt: IsoTimestampSchema.nullable(),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;

export const EnrollmentTokenRequestSchema = z.object({
  name: IdSchema,
  /** Lifetime; default 24 h, at most 30 days. */
  ttlMs: z
    .number()
    .int()
    .min(1000)
    .max(30 * 24 * 3600 * 1000)
    .default(24 * 3600 * 1000),
});
export const EnrollmentTokenResponseSchema = z.object({
  name: IdSchema,
  token: z.string().regex(/^[0-9a-f]{64}$/),
  expiresAt: IsoTimestampSchema,
});
export type EnrollmentTokenResponse = z.infer<typeof EnrollmentTokenResponseSchema>;

// ---- key ceremony (the bundle: key-bundle.ts) ----
export * from './key-bundle.ts';

/**
 * Hash of a key epoch's member set, order-independent (sorted by name). Two member lists hash
 * alike exactly when they name the same nodes with the same signing and box keys.
 */
export function keyMembersHash(members: readonly Member[]): string {
  const sorted = [...members].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return canonicalHash(KEY_MEMBERS_DOMAIN, {
    members: sorted.map((m) => ({ name: m.name, signingKey: m.signingKey, boxKey: m.boxKey })),
  });
}

export const KeyAckSchema = z.object({
  version: z.literal(1),
  keyId: KeyIdSchema,
  publicKeyHash: Hash256Schema,
  signature: SignatureHexSchema,
});
export type KeyAck = z.infer<typeof KeyAckSchema>;

export function keyAckSigningPayload(a: Pick<KeyAck, 'keyId' | 'publicKeyHash'>): Canonical {
  return { keyId: a.keyId, publicKeyHash: a.publicKeyHash };
}

export const KEY_EPOCH_STATES = ['generating', 'installing', 'active', 'retired'] as const;
export const KeyEpochSchema = z.object({
  keyId: KeyIdSchema,
  heParams: HeParamsIdSchema,
  state: z.enum(KEY_EPOCH_STATES),
  members: z.array(MemberSchema),
  generator: IdSchema,
  publicKeyHash: Hash256Schema.nullable(),
  acked: z.array(IdSchema),
  createdAt: IsoTimestampSchema,
});
export type KeyEpoch = z.infer<typeof KeyEpochSchema>;

// ---- jobs ----

/**
 * Floor 3 (docs/architecture.md §3): with two contributors each could subtract its own share and
 * read the other's.
 */
export const MIN_NODES_FLOOR = 3;

const jobCommon = {
  version: z.literal(1),
  name: z.string().min(1).max(200).default('job'),
  minNodes: z.number().int().min(MIN_NODES_FLOOR).max(1000).default(MIN_NODES_FLOOR),
  /** Per round: the round fails if fewer than minNodes submitted this long after it opened. */
  deadlineMs: z
    .number()
    .int()
    .min(1000)
    .max(7 * 24 * 3600 * 1000)
    .default(120_000),
  /** Once minNodes submitted, wait this long for the remaining participants. */
  stragglerWaitMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600 * 1000)
    .default(2000),
  noise: NoiseModeSchema.default('on'),
  /**
   * How the noise is added (docs/privacy.md "Distributed noise"): `distributed-laplace` (the
   * statistics default: each node adds a Polya share, the sum is the central discrete Laplace,
   * pure DP), `distributed-gaussian` (the training default: discrete Gaussian shares, zCDP), or
   * `local-laplace` (every node adds the whole discrete Laplace noise: n times the variance, for
   * federations that do not trust the aggregation).
   */
  mechanism: MechanismSchema.default('distributed-laplace'),
  /** delta at which a Gaussian job's epsilon is read (its rho = the largest whose (epsilon, delta) is within epsilon). */
  delta: DeltaSchema.default(DEFAULT_DELTA),
  /** Participants; default all members of the active key epoch. */
  nodes: z.array(IdSchema).min(1).max(1000).optional(),
};

export const SegmentStatsJobSpecSchema = z.object({
  ...jobCommon,
  kind: z.literal('segment_stats'),
  query: SegmentQuerySchema,
});

/** Measures an RFM job's base query must declare (with clipping bounds): phase 1 means them. */
export const RFM_MEASURE_FIELDS = ['recency_days', 'frequency', 'monetary'] as const;

/**
 * Two-phase RFM (docs/analytics.md "The two-phase RFM job"). `query` is the base: purpose, asOf,
 * unit, params, epsilon (spent per round, so the job costs 2 x epsilon at each node) and the three
 * RFM measures with bounds.
 * Round 0 runs it with no dimensions (federated means); round 1 groups by `rfm_class` against
 * those means with the monetary measure only.
 */
export const RfmJobSpecSchema = z
  .object({ ...jobCommon, kind: z.literal('rfm'), query: SegmentQuerySchema })
  .superRefine((s, ctx) => {
    for (const f of RFM_MEASURE_FIELDS) {
      if (!s.query.measures.some((m) => m.field === f)) {
        ctx.addIssue({
          code: 'custom',
          path: ['query', 'measures'],
          message: `an rfm job needs a measure on ${f} (with clipping bounds)`,
        });
      }
    }
  });

/**
 * Federated logistic regression (docs/models.md): `train` is the model spec (table,
 * label, features, rounds, optimiser, clipping, total epsilon per node). Round 0 is the
 * standardisation phase, rounds 1..train.rounds the gradient rounds.
 */
export const TrainJobSpecSchema = z
  .object({
    ...jobCommon,
    kind: z.literal('train'),
    train: TrainSpecSchema,
    // Training composes many rounds: zCDP with the Gaussian is the default (docs/models.md §4).
    mechanism: MechanismSchema.default('distributed-gaussian'),
  })
  .superRefine((s, ctx) => {
    if (s.minNodes < s.train.minNodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['minNodes'],
        message: `minNodes ${s.minNodes} is below the model spec's train.minNodes ${s.train.minNodes}`,
      });
    }
  });

/**
 * Federated probabilistic CLV (docs/clv.md "The clv job"): BG/NBD then Gamma-Gamma Newton
 * rounds over each node's customer summaries up to `clv.calibrationEnd`. A node's policy treats
 * it as model training (kind `train`, purpose `model_training`).
 */
export const ClvJobSpecSchema = z.object({
  ...jobCommon,
  kind: z.literal('clv'),
  clv: ClvFitSpecSchema,
  // Many rounds compose: zCDP with the Gaussian, as training (docs/models.md §4).
  mechanism: MechanismSchema.default('distributed-gaussian'),
});

export const JobSpecSchema = z.discriminatedUnion('kind', [
  SegmentStatsJobSpecSchema,
  RfmJobSpecSchema,
  TrainJobSpecSchema,
  ClvJobSpecSchema,
  OverlapJobSpecSchema,
]);
/** The kinds that run rounds of encrypted, aggregated vectors (every kind but overlap). */
export const RoundJobSpecSchema = z.discriminatedUnion('kind', [
  SegmentStatsJobSpecSchema,
  RfmJobSpecSchema,
  TrainJobSpecSchema,
  ClvJobSpecSchema,
]);
export type JobSpec = z.infer<typeof JobSpecSchema>;
/** The statistics kinds (segment_stats, rfm): every round is a segment query. */
export type StatsJobSpec = Extract<JobSpec, { kind: 'segment_stats' | 'rfm' }>;
export type TrainJobSpec = Extract<JobSpec, { kind: 'train' }>;
export type ClvJobSpec = Extract<JobSpec, { kind: 'clv' }>;
export type RoundJobSpec = z.infer<typeof RoundJobSpecSchema>;
export type RoundJobSpecInput = z.input<typeof RoundJobSpecSchema>;
export type JobSpecInput = z.input<typeof JobSpecSchema>;
export type JobKind = JobSpec['kind'];

/** `check`: the own-model check after the last optimiser round (train.ownModelCheck). */
export const TRAIN_PHASES = ['standardisation', 'gradient', 'check'] as const;

/**
 * One round of a `train` job as a node receives it: the model spec, the phase, the model the
 * round is computed at (null in the standardisation phase; the final model in the check) and the
 * public layout hash every node must reproduce (`standardisationLayout(train).hash`,
 * `roundLayout(train, model.encoding, model.training.roundsDone).hash` or
 * `ownModelCheckLayout(train).hash`). `epsilon` is what the round charges each node.
 */
export const TrainRoundQuerySchema = z.object({
  kind: z.literal('train_round'),
  name: z.string().min(1).max(200),
  purpose: z.literal('model_training'),
  epsilon: EpsilonSchema,
  phase: z.enum(TRAIN_PHASES),
  train: TrainSpecSchema,
  model: ModelSchema.nullable(),
  layoutHash: Hash256Schema,
});
export type TrainRoundQuery = z.infer<typeof TrainRoundQuerySchema>;

/** What one round asks of a node: a segment query, or a training round. */
export const JobRoundSpecSchema = z.object({
  name: z.string().min(1).max(200),
  query: z.union([TrainRoundQuerySchema, ClvRoundQuerySchema, SegmentQuerySchema]),
  minNodes: z.number().int().min(MIN_NODES_FLOOR),
  noise: NoiseModeSchema,
  /** A spec that names no mechanism is local Laplace: the one that trusts the aggregation least. */
  mechanism: MechanismSchema.default('local-laplace'),
  delta: DeltaSchema.default(DEFAULT_DELTA),
  deadline: IsoTimestampSchema,
});
export type JobRoundSpec = z.infer<typeof JobRoundSpecSchema>;

// ---- submissions ----
export const EnforcedSchema = z.object({
  minCohort: z.number().int().min(1),
  epsilon: EpsilonSchema,
  noise: NoiseModeSchema,
});
export type Enforced = z.infer<typeof EnforcedSchema>;

const submissionMeta = {
  jobId: IdSchema,
  round: z.number().int().min(0).max(1000),
  node: IdSchema,
  keyId: KeyIdSchema,
  layoutHash: Hash256Schema,
  /** `roundSpecHash` of the round spec this node computed on (docs/federation-protocol.md). */
  specHash: Hash256Schema,
  /** SHA-256 of each decoded ciphertext's bytes, in order. */
  ciphertextHashes: z.array(Hash256Schema).min(1).max(MAX_CIPHERTEXTS),
  enforced: EnforcedSchema,
  signature: SignatureHexSchema,
};

export const SubmissionSchema = z
  .object({
    version: z.literal(1),
    ...submissionMeta,
    ciphertexts: z.array(Base64Schema).min(1).max(MAX_CIPHERTEXTS),
  })
  .refine((s) => s.ciphertexts.length === s.ciphertextHashes.length, {
    message: 'ciphertexts and ciphertextHashes must have the same length',
    path: ['ciphertextHashes'],
  });
export type Submission = z.infer<typeof SubmissionSchema>;

/** A submission without its ciphertexts: enough for a decrypting node to check the signature. */
export const ContributionRefSchema = z.object(submissionMeta);
export type ContributionRef = z.infer<typeof ContributionRefSchema>;

/** Everything except `ciphertexts` (bound through their hashes), `signature` and `version`. */
export function submissionSigningPayload(s: Omit<ContributionRef, 'signature'>): Canonical {
  return {
    jobId: s.jobId,
    round: s.round,
    node: s.node,
    keyId: s.keyId,
    layoutHash: s.layoutHash,
    specHash: s.specHash,
    ciphertextHashes: s.ciphertextHashes,
    enforced: {
      minCohort: s.enforced.minCohort,
      epsilon: s.enforced.epsilon,
      noise: s.enforced.noise,
    },
  };
}

export const RefusalSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  round: z.number().int().min(0).max(1000),
  node: IdSchema,
  /** `roundSpecHash` of the round spec this node was sent (and refused). */
  specHash: Hash256Schema,
  reason: z.string().min(1).max(1000),
  signature: SignatureHexSchema,
});
export type Refusal = z.infer<typeof RefusalSchema>;

export function refusalSigningPayload(r: Omit<Refusal, 'version' | 'signature'>): Canonical {
  return { jobId: r.jobId, round: r.round, node: r.node, specHash: r.specHash, reason: r.reason };
}

/** Coordinator's signed acknowledgement; for a refusal `ciphertextHashes` is empty. */
export const ReceiptSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  round: z.number().int().min(0),
  node: IdSchema,
  ciphertextHashes: z.array(Hash256Schema).max(MAX_CIPHERTEXTS),
  receivedAt: IsoTimestampSchema,
  coordinatorSignature: SignatureHexSchema,
});
export type Receipt = z.infer<typeof ReceiptSchema>;

export function receiptSigningPayload(
  r: Omit<Receipt, 'version' | 'coordinatorSignature'>
): Canonical {
  return {
    jobId: r.jobId,
    round: r.round,
    node: r.node,
    ciphertextHashes: r.ciphertextHashes,
    receivedAt: r.receivedAt,
  };
}

// ---- decryption ----
export const DecryptionSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  round: z.number().int().min(0).max(1000),
  node: IdSchema,
  layoutHash: Hash256Schema,
  /** Decoded signed slot values of the aggregate, length = layout length. */
  values: z.array(DecimalIntSchema).min(1).max(MAX_LAYOUT_SLOTS),
  signature: SignatureHexSchema,
});
export type Decryption = z.infer<typeof DecryptionSchema>;

export function decryptionSigningPayload(d: Omit<Decryption, 'version' | 'signature'>): Canonical {
  return {
    jobId: d.jobId,
    round: d.round,
    node: d.node,
    layoutHash: d.layoutHash,
    values: d.values,
  };
}

// ---- tasks ----
export const KeyGenerateTaskSchema = z.object({
  type: z.literal('key_generate'),
  keyId: KeyIdSchema,
  heParams: HeParamsIdSchema,
  members: z.array(MemberSchema).min(1),
});
export const KeyInstallTaskSchema = z.object({
  type: z.literal('key_install'),
  keyId: KeyIdSchema,
  heParams: HeParamsIdSchema,
  members: z.array(MemberSchema).min(1),
  generator: IdSchema,
  publicKey: Base64Schema,
  /** The bundle's one encrypted secret key, the same for every member. */
  encryptedSecretKey: Base64Schema,
  /** This member's own sealed data key only; the others' are not sent (their hashes are). */
  sealedDataKey: SealedDataKeySchema,
  /**
   * The generator's bundle signature and the hashes of every member's sealed data key (always
   * sent): the installing node rebuilds `keyBundleHashesPayload` (with the `membersHash` of the
   * epoch it accepted) and checks it against the generator's signing key.
   */
  sealedDataKeyHashes: z.record(IdSchema, Hash256Schema),
  bundleSignature: SignatureHexSchema,
});
export const JobRoundTaskSchema = z.object({
  type: z.literal('job_round'),
  jobId: IdSchema,
  round: z.number().int().min(0),
  spec: JobRoundSpecSchema,
  keyId: KeyIdSchema,
  members: z.array(MemberSchema).min(1),
  /** `roundSpecHash(spec)`, signed by the coordinator with `roundSpecSigningPayload`. */
  specHash: Hash256Schema,
  specSignature: SignatureHexSchema,
  /** Secure aggregation: the signed advertisements of every node whose masks this round uses. */
  secagg: SecaggRoundSchema,
});
export const DecryptTaskSchema = z.object({
  type: z.literal('decrypt'),
  jobId: IdSchema,
  round: z.number().int().min(0),
  keyId: KeyIdSchema,
  layoutHash: Hash256Schema,
  aggregate: z.array(Base64Schema).min(1).max(MAX_CIPHERTEXTS),
  contributions: z.array(ContributionRefSchema).min(1),
  minNodes: z.number().int().min(MIN_NODES_FLOOR),
  /** The round's spec hash and the coordinator's signature of the closed contributor set. */
  specHash: Hash256Schema,
  contributorSetSignature: SignatureHexSchema,
});
export const TaskSchema = z.discriminatedUnion('type', [
  KeyGenerateTaskSchema,
  KeyInstallTaskSchema,
  SecaggSetupTaskSchema,
  JobRoundTaskSchema,
  SecaggUnmaskTaskSchema,
  DecryptTaskSchema,
  OverlapTaskSchema,
]);
export type KeyGenerateTask = z.infer<typeof KeyGenerateTaskSchema>;
export type KeyInstallTask = z.infer<typeof KeyInstallTaskSchema>;
export type JobRoundTask = z.infer<typeof JobRoundTaskSchema>;
export type DecryptTask = z.infer<typeof DecryptTaskSchema>;
export type Task = z.infer<typeof TaskSchema>;

export const TasksResponseSchema = z.object({ version: z.literal(1), tasks: z.array(TaskSchema) });
export type TasksResponse = z.infer<typeof TasksResponseSchema>;

/**
 * Conditional and long-polled task polls (docs/federation-protocol.md "Polling"): the coordinator
 * tags every tasks answer with an `ETag`, a quoted hash of its exact bytes. A node that sends it
 * back in `If-None-Match` is answered 304 Not Modified, with no body, while its task list is the
 * same; with `?wait=<seconds>` the coordinator first holds the request until the list changes or
 * the wait is over. The query is part of the signed path, the ETag is not secret.
 */
export const TasksEtagSchema = z.string().regex(/^"[0-9a-f]{32}"$/, 'a quoted 32-hex-digit tag');
/** Longest hold of a tasks poll: well inside every HTTP client's and proxy's idle timeouts. */
export const TASKS_MAX_WAIT_SECONDS = 30;
/** The `wait` query parameter of GET /v1/node/tasks: whole seconds, 0 (no hold) to 30. */
export const TasksWaitSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]?)$/, 'whole seconds')
  .transform(Number)
  .pipe(z.number().max(TASKS_MAX_WAIT_SECONDS));

// ---- results and status ----
export const ResultCellSchema = z.object({
  /** One label per query dimension (empty for a query without dimensions). */
  labels: z.array(z.string()),
  /** Block name: `count`, `total`, `sum:<field>`, `sumsq:<field>`, or derived `mean:<field>`. */
  block: z.string(),
  estimate: z.number(),
  /** Standard deviation of the DP noise in the estimate (0 when noise was off). */
  noiseStd: z.number().min(0),
  ci95: z.tuple([z.number(), z.number()]),
  /**
   * The released value before post-processing (docs/analytics.md "Post-processing"): `estimate`
   * and `ci95` are projected to >= 0 for counts and sums that cannot be negative, means clamped
   * into their clipping bounds. Absent in results published before projection.
   */
  raw: z.number().optional(),
  /** Means: marked when the cell's noisy count is under the threshold, the 95% half-width exceeds the estimate, or the noisy mean is outside its bounds. */
  unreliable: z.boolean().optional(),
  /** Why a mean is unreliable (null when it is not). */
  reason: z.string().nullable().optional(),
});
export type ResultCell = z.infer<typeof ResultCellSchema>;

export const RoundResultSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  round: z.number().int().min(0),
  name: z.string(),
  layoutHash: Hash256Schema,
  contributingNodes: z.array(IdSchema),
  /** Epsilon each contributing node spent on this round. */
  epsilonPerNode: z.number(),
  noise: NoiseModeSchema,
  /** How the noise was added (absent in results published before distributed noise: local Laplace). */
  mechanism: MechanismSchema.optional(),
  /** Gaussian rounds: rho each contributing node spent on this round, and the delta it is read at. */
  rhoPerNode: z.number().min(0).optional(),
  delta: z.number().optional(),
  /** Raw aggregate slot values (signed decimal), the source of every estimate. */
  values: z.array(DecimalIntSchema),
  /** Noise variance per slot in slot units: the sum over contributors of each one's noise variance (docs/privacy.md). */
  noiseVariance: z.array(z.number().min(0)),
  cells: z.array(ResultCellSchema),
  /** Output of the protocol results module (`interpretVector`), when available. */
  interpretation: z.unknown().optional(),
  notes: z.array(z.string()),
  publishedAt: IsoTimestampSchema,
});
export type RoundResult = z.infer<typeof RoundResultSchema>;

export const JOB_STATUSES = ['running', 'published', 'failed'] as const;
export const JobStatusNameSchema = z.enum(JOB_STATUSES);
/**
 * `setup`: nodes share their round mask secrets (secure aggregation); `open`: masked input;
 * `decrypting`: decryption and unmasking of the closed survivor set.
 */
export const ROUND_STATUSES = [
  'pending',
  'setup',
  'open',
  'decrypting',
  'published',
  'failed',
] as const;
/** `excluded`: not asked, having refused an earlier round of the job (it sits out the rest). */
export const NODE_ROUND_STATES = ['pending', 'submitted', 'refused', 'excluded'] as const;

export const FailureSchema = z.object({ code: z.string(), message: z.string() });

/**
 * A participant the job went on without in some rounds because it refused them, with the reason
 * it signed (e.g. `POLICY_REFUSED: node bank holds fewer eligible rows than its
 * minRowsPerJob.train 100`, docs/models.md §9): one entry per node and reason, its rounds in order.
 */
export const ExclusionSchema = z.object({
  node: IdSchema,
  rounds: z.array(z.number().int().min(0)),
  reason: z.string(),
});
export type Exclusion = z.infer<typeof ExclusionSchema>;

export const JOB_SPEC_KINDS = ['segment_stats', 'rfm', 'train', 'clv', 'overlap'] as const;

export const JobResultSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  name: z.string(),
  kind: z.enum(JOB_SPEC_KINDS),
  status: JobStatusNameSchema,
  rounds: z.array(RoundResultSchema),
  /** rfm: the federated means from round 0 that round 1 classified against. */
  rfmMeans: z
    .object({ recency: z.number(), frequency: z.number(), monetary: z.number() })
    .optional(),
  /** train: the latest model (the final one once published), in the model file format. */
  model: ModelSchema.optional(),
  /** clv: the fitted CLV model (once published), in the CLV model file format. */
  clvModel: ClvModelSchema.optional(),
  /** Participants left out of rounds by their own refusal (absent from older coordinators). */
  excluded: z.array(ExclusionSchema).optional(),
  /** overlap: the pairwise figures (docs/overlap.md). */
  overlap: OverlapResultSchema.optional(),
  failure: FailureSchema.optional(),
});
export type JobResult = z.infer<typeof JobResultSchema>;

export const JobStatusSchema = z.object({
  version: z.literal(1),
  jobId: IdSchema,
  name: z.string(),
  kind: z.enum(JOB_SPEC_KINDS),
  status: JobStatusNameSchema,
  createdAt: IsoTimestampSchema,
  keyId: KeyIdSchema,
  minNodes: z.number().int(),
  participants: z.array(IdSchema),
  rounds: z.array(
    z.object({
      round: z.number().int().min(0),
      status: z.enum(ROUND_STATUSES),
      deadline: IsoTimestampSchema.nullable(),
      closeReason: z.string().nullable(),
      nodes: z.array(
        z.object({
          name: IdSchema,
          state: z.enum(NODE_ROUND_STATES),
          reason: z.string().nullable(),
        })
      ),
      decryptions: z.array(z.object({ node: IdSchema, agrees: z.boolean().nullable() })),
    })
  ),
  /** Participants left out of rounds by their own refusal (absent from older coordinators). */
  excluded: z.array(ExclusionSchema).optional(),
  failure: FailureSchema.optional(),
});
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const JOB_EVENT_TYPES = [
  'job_created',
  'round_opened',
  'secagg_setup_received',
  'secagg_setup_closed',
  'submission_accepted',
  'refusal_recorded',
  'round_closed',
  'aggregate_stored',
  'secagg_unmask_received',
  'secagg_unmasked',
  'decryption_received',
  'decryption_disagreement',
  'decryptors_extended',
  'round_published',
  'job_published',
  'job_failed',
] as const;
export const JobEventSchema = z.object({
  seq: z.number().int().min(0),
  jobId: IdSchema,
  at: IsoTimestampSchema,
  type: z.enum(JOB_EVENT_TYPES),
  round: z.number().int().min(0).nullable(),
  node: IdSchema.nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type JobEvent = z.infer<typeof JobEventSchema>;

export const JobEventsResponseSchema = z.object({
  version: z.literal(1),
  events: z.array(JobEventSchema),
});
export const JobListResponseSchema = z.object({
  version: z.literal(1),
  jobs: z.array(
    z.object({
      jobId: IdSchema,
      name: z.string(),
      kind: z.enum(JOB_SPEC_KINDS),
      status: JobStatusNameSchema,
      createdAt: IsoTimestampSchema,
    })
  ),
});
export type JobListResponse = z.infer<typeof JobListResponseSchema>;
