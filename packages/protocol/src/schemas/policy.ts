import { z } from 'zod';
import { EpsilonSchema, PurposeSchema, PURPOSES } from './common.ts';
import { DEFAULT_DELTA, DeltaSchema, MECHANISMS, MechanismSchema } from '../dp/mechanism.ts';
import { MATCHING_KEY_KINDS } from '../psi/normalise-key.ts';

export const BUDGET_PERIODS = ['day', 'week', 'month', 'quarter', 'year', 'total'] as const;
export const BudgetPeriodSchema = z.enum(BUDGET_PERIODS);
export type BudgetPeriod = z.infer<typeof BudgetPeriodSchema>;

export const JOB_KINDS = ['segment_stats', 'train', 'overlap'] as const;
export const JobKindSchema = z.enum(JOB_KINDS);
export type PolicyJobKind = z.infer<typeof JobKindSchema>;
/**
 * Kinds a new policy allows. Not `overlap`: matching customers with a partner is a new use of
 * their identifiers, so a node opts in by listing it and declaring its `matching` key
 * (docs/overlap.md "Node policy").
 */
export const DEFAULT_ALLOWED_KINDS = ['segment_stats', 'train'] as const;

export const BudgetRuleSchema = z.object({
  purpose: PurposeSchema,
  /** Calendar period (UTC) over which releases compose sequentially; `total` never resets. */
  period: BudgetPeriodSchema,
  /** Cap on the sum of epsilons released for this purpose within one period. */
  epsilon: EpsilonSchema,
});
export type BudgetRule = z.infer<typeof BudgetRuleSchema>;

/** A node-wide cap across every purpose, per period (the person bound: docs/privacy.md "Budgets"). */
export const PersonBudgetRuleSchema = z.object({
  period: BudgetPeriodSchema,
  /** Cap on the sum of epsilons released for all purposes together within one period. */
  epsilon: EpsilonSchema,
});
export type PersonBudgetRule = z.infer<typeof PersonBudgetRuleSchema>;

/**
 * Defaults of `minRowsPerJob` (docs/models.md §9 "Too few rows"). Training, 100: a node's
 * noise share in a round's sum is fixed while its signal grows with its rows. For the train
 * template under the default Gaussian shares (threshold 3) one share has a std of 8.1 clip norms
 * per gradient coordinate, while at the starting model the mean per-row gradient on the
 * synthetic churn nodes is 0.04 clip norms in the median coordinate and 0.16 in the largest
 * (bench/min-rows.bench.ts): a node's gradient matches its own noise from 50 rows in the largest
 * coordinate and 190 in the median one; 100 lies between. Statistics, 0 (off): a count or sum
 * publishes a total, and leaving a node out takes its whole contribution out of it, which for a
 * count outweighs its noise share from a handful of rows on (a count share at epsilon 0.5 and
 * threshold 3 has a std of 1.6, docs/privacy.md); small cells are suppressed by minCohort.
 */
export const DEFAULT_MIN_ROWS_PER_JOB = { segment_stats: 0, train: 100 } as const;

/** Per job kind, the fewest eligible rows for a federated round; unknown kinds are refused. */
export const MinRowsPerJobSchema = z
  .object({
    segment_stats: z.number().int().min(0).max(1_000_000_000).default(0),
    train: z.number().int().min(0).max(1_000_000_000).default(DEFAULT_MIN_ROWS_PER_JOB.train),
  })
  .strict();
export type MinRowsPerJob = z.infer<typeof MinRowsPerJobSchema>;

/**
 * Where this node holds one kind of matching key (docs/overlap.md "Node policy"): the
 * `customer_id` itself (a partner id both institutions share) or a customer attribute column
 * imported with the customers file. Phone numbers need the country code for national numbers,
 * and the trunk prefix if national numbers carry one (never guessed: docs/psi.md).
 */
export const MatchingSourceSchema = z
  .object({
    kind: z.enum(MATCHING_KEY_KINDS),
    column: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,63}$/, 'expected customer_id or an attribute column name'),
    defaultCountryCode: z
      .string()
      .regex(/^[1-9][0-9]{0,2}$/, 'expected a country calling code of 1-3 digits')
      .optional(),
    trunkPrefix: z
      .string()
      .regex(/^[0-9]{1,2}$/, 'expected 1-2 digits')
      .optional(),
  })
  .strict();
export type MatchingSource = z.infer<typeof MatchingSourceSchema>;

/** Fewest customers (after consent filtering) a node matches with: a tiny set is a membership test. */
export const DEFAULT_MIN_MATCH_SET_SIZE = 100;

/**
 * A node's own policy: what it will answer. Auditors read it; every change is a ledger entry.
 * Defaults are deliberately conservative: k = 10 follows the common statistical-disclosure
 * floor for published cells (e.g. Eurostat/ONS threshold rules use 10), and a monthly epsilon of
 * 4 per purpose allows e.g. eight releases at epsilon 0.5.
 */
export const PolicySchema = z.object({
  version: z.literal(1).default(1),
  /** Minimum cohort k: a cell whose NOISY count is under k is released as 0, after noise (post-processing, docs/privacy.md). */
  minCohort: z.number().int().min(2).max(1_000_000).default(10),
  allowedKinds: z
    .array(JobKindSchema)
    .min(1)
    .default([...DEFAULT_ALLOWED_KINDS]),
  allowedPurposes: z
    .array(PurposeSchema)
    .min(1)
    .default([...PURPOSES]),
  /** Largest epsilon a single job (all its rounds together) may spend at this node. */
  maxEpsilonPerJob: EpsilonSchema.default(2),
  /**
   * Smallest number of contributing nodes a federated job must require (floor 3:
   * docs/architecture.md §3).
   */
  minNodes: z.number().int().min(3).default(3),
  /**
   * Fewest eligible rows (customers with consent for the job's purpose in force, after this
   * node's own filtering) this node must hold to take part in a federated round of each job
   * kind; below it the node refuses the round before anything is noised, released or charged
   * (docs/models.md §9 "Too few rows"). 0 turns the rule off for that kind.
   */
  minRowsPerJob: MinRowsPerJobSchema.default(() => ({ ...DEFAULT_MIN_ROWS_PER_JOB })),
  budgets: z.array(BudgetRuleSchema).default([
    { purpose: 'analytics', period: 'month', epsilon: 4 },
    { purpose: 'model_training', period: 'month', epsilon: 4 },
    { purpose: 'marketing', period: 'month', epsilon: 2 },
  ]),
  /**
   * Caps across all purposes (docs/privacy.md "Budgets that bound a person"): every consenting
   * customer may be in every release of every purpose, so what bounds a person is the sum over
   * purposes, per period and over the node's life. Defaults: 6 a month (below the 4 + 4 + 2 of the
   * purpose caps, so a customer consenting to everything is not in releases worth 10 a month), 36
   * a year (half the monthly maximum on average), 100 in total (the largest epsilon a policy
   * accepts, beyond which no meaningful privacy remains: a hard stop, after which the node releases
   * nothing). Purpose caps
   * stay as sub-budgets. A purpose reset does not forgive these: the customers were in those
   * releases all the same.
   */
  personBudgets: z.array(PersonBudgetRuleSchema).default([
    { period: 'month', epsilon: 6 },
    { period: 'year', epsilon: 36 },
    { period: 'total', epsilon: 100 },
  ]),
  /**
   * The delta at which every cap of this node is read (docs/privacy.md "Accounting in rho and
   * epsilon"): Gaussian releases are charged in rho, and a cap in epsilon holds when all the
   * period's releases together are (epsilon, delta)-DP at this delta. Default 1e-7, below
   * 1 / (number of customers) for any customer base under ten million.
   */
  delta: DeltaSchema.default(DEFAULT_DELTA),
  /** Noise mechanisms this node adds (docs/privacy.md "Distributed noise"); default both. */
  allowedMechanisms: z
    .array(MechanismSchema)
    .min(1)
    .default([...MECHANISMS]),
  /**
   * TEST ONLY: lets a caller switch noise off to check exactness. Refused unless this is true,
   * and `fedmark node init` never writes it; a release made without noise is marked in the ledger.
   */
  testOnlyAllowNoiseOff: z.boolean().default(false),
  /**
   * Who accepts a new key epoch's member set (docs/federation-protocol.md "Key ceremony").
   * `approve` (the default): nothing is generated, sealed or installed for an epoch until the
   * node's admin runs `fedmark node members approve`, because the coordinator proposes the
   * members and a member it invented would otherwise receive the HE secret key. `auto` accepts
   * added and removed members (trust on first use of a name; for demos and tests, written by
   * `fedmark node init --members auto`), but still refuses a changed key for a member name it
   * pinned before unless the admin approves: that is what an attacker's swap looks like.
   */
  members: z.enum(['auto', 'approve']).default('approve'),
  /**
   * Matching keys this node declares for overlap jobs, one per kind (docs/overlap.md). Absent:
   * the node takes part in no overlap job, whatever `allowedKinds` says.
   */
  matching: z
    .array(MatchingSourceSchema)
    .max(4)
    .refine(
      (a) => new Set(a.map((m) => m.kind)).size === a.length,
      'one entry per matching key kind'
    )
    .optional(),
  /**
   * Fewest consenting customers with a matching key for this node to take part in an overlap
   * pair; absent: DEFAULT_MIN_MATCH_SET_SIZE.
   */
  minMatchSetSize: z.number().int().min(1).max(1_000_000).optional(),
});
export type Policy = z.infer<typeof PolicySchema>;
