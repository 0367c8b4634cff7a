import { z } from '@hono/zod-openapi';
import {
  LEDGER_ENTRY_TYPES,
  LedgerEntrySchema,
  PolicySchema,
  PurposeSchema,
  QUERY_UNITS,
  SegmentQuerySchema,
} from '@fedmark/protocol';

/**
 * Request and response schemas of the node's local API. Requests are validated with them before
 * any handler runs; the OpenAPI document (/openapi.json) is generated from the same schemas.
 * Wire messages between node and coordinator live in @fedmark/protocol; these are local only.
 */

/**
 * An integer query or path parameter in [min, max], converted with Number() as z.coerce.number()
 * does. A bare z.coerce.number() also accepts null (Number(null) is 0), so the generated document
 * called such a parameter nullable and a required one optional (a path parameter with
 * `required: false` is invalid OpenAPI); converting only strings documents it as it is.
 */
export const intParam = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? Number(v) : v), z.number().int().min(min).max(max));

export const HealthSchema = z
  .object({ status: z.literal('ok'), node: z.string(), version: z.literal(1) })
  .openapi('Health');

export const LedgerQuerySchema = z.object({
  type: z.enum(LEDGER_ENTRY_TYPES).optional().openapi({ description: 'only entries of this type' }),
  from: intParam(0, Number.MAX_SAFE_INTEGER)
    .default(0)
    .openapi({ description: 'first sequence number', example: 0 }),
  limit: intParam(1, 10_000)
    .default(100)
    .openapi({ description: 'at most this many entries', example: 100 }),
});

export const LedgerListSchema = z
  .object({ entries: z.array(LedgerEntrySchema) })
  .openapi('LedgerList');

export const VerifySchema = z
  .union([
    z.object({ ok: z.literal(true), size: z.number().int(), head: z.string() }),
    z.object({
      ok: z.literal(false),
      size: z.number().int(),
      firstBadSeq: z.number().int(),
      reason: z.string(),
    }),
  ])
  .openapi('LedgerVerification');

export const BudgetSchema = z
  .object({
    at: z.string(),
    budgets: z.array(
      z.object({
        /** `all`: a node-wide cap across purposes (policy personBudgets). */
        purpose: z.union([PurposeSchema, z.literal('all')]),
        period: z.string(),
        periodKey: z.string(),
        capEpsilon: z.number(),
        /** Read as epsilon at `delta` (docs/privacy.md "Accounting in rho and epsilon"). */
        spentEpsilon: z.number(),
        remainingEpsilon: z.number(),
        /** The same spend as zCDP rho. */
        spentRho: z.number(),
        capRho: z.number(),
        delta: z.number(),
      })
    ),
  })
  .openapi('BudgetStatus');

export const PolicyResponseSchema = PolicySchema;

export const SegmentQueryBodySchema = SegmentQuerySchema;

export const ConsentBodySchema = z
  .strictObject({
    customerId: z.string().min(1).max(128),
    purpose: PurposeSchema,
    status: z.enum(['granted', 'revoked']),
    source: z.string().min(1).max(64).default('api'),
  })
  .openapi('ConsentChange');

export const ErasureBodySchema = z
  .strictObject({
    customerId: z.string().min(1).max(128),
    reason: z.string().min(1).max(200).optional(),
  })
  .openapi('ErasureRequest');

export const ErasureResultSchema = z
  .object({ pseudonym: z.string(), rowsDeleted: z.number().int() })
  .openapi('ErasureResult');

/** What a consent change recorded: `recorded` false when the identical record existed already. */
export const ConsentResultSchema = z
  .object({ recorded: z.boolean(), pseudonym: z.string(), entry: LedgerEntrySchema.nullable() })
  .openapi('ConsentResult');

const EstimateSchema = z
  .object({ estimate: z.number(), sd: z.number(), low: z.number(), high: z.number() })
  .openapi('Estimate', { description: 'estimate with its noise sd and 95% interval [low, high]' });

/** After post-processing (docs/analytics.md "Post-processing"): `raw` is the released value. */
const ProjectedEstimateSchema = EstimateSchema.extend({ raw: z.number() }).openapi(
  'ProjectedEstimate',
  {
    description:
      'a count or sum projected to >= 0 where it cannot be negative; raw is the released (noisy) value',
  }
);

const RatioEstimateSchema = ProjectedEstimateSchema.extend({
  unreliable: z.boolean(),
  reason: z.string().nullable(),
}).openapi('RatioEstimate', {
  description:
    'a mean clamped into its clipping bounds, with its reliability verdict and the first rule that made it unreliable',
});

const CellSchema = z.object({
  index: z.number().int(),
  labels: z.array(z.string()),
  count: ProjectedEstimateSchema,
  measures: z.record(
    z.string(),
    z.object({
      sum: ProjectedEstimateSchema,
      mean: RatioEstimateSchema.nullable(),
      sumOfSquares: ProjectedEstimateSchema.nullable(),
      spread: z.number().nullable(),
    })
  ),
});

export const StatsResultSchema = z
  .object({
    jobId: z.string(),
    name: z.string(),
    purpose: PurposeSchema,
    asOf: z.string(),
    unit: z.enum(QUERY_UNITS),
    layoutHash: z.string(),
    epsilon: z.number(),
    noise: z.enum(['on', 'off-test-only']),
    suppressedCells: z.number().int(),
    minCohort: z.number().int(),
    result: z.object({
      layoutHash: z.string(),
      dimensions: z.array(z.string()).nullable(),
      measures: z.array(z.string()),
      total: ProjectedEstimateSchema,
      minReliableCount: z.number().int(),
      cells: z.array(CellSchema),
    }),
    values: z
      .array(z.string())
      .openapi({ description: 'released (noisy) slot values as decimal strings, layout order' }),
    variance: z.array(z.number()).openapi({ description: 'noise variance per slot' }),
  })
  .openapi('SegmentStatsResult');
