import { z } from 'zod';
import { EpsilonSchema, IsoDateSchema, PurposeSchema } from './common.ts';

/**
 * The segment-statistics query: a group-by over declared dimensions whose key space is public
 * and fixed before any data is touched, with per-cell count, clipped sum and clipped sum of
 * squares. Every node derives the same layout from the query alone (layout.ts), so the vectors
 * line up slot by slot and pack into BFV batching slots
 * (docs/federation-protocol.md "Fixed point and BFV packing").
 */

/** What one row of the query is. Each customer contributes at most `maxRowsPerCustomer` rows. */
export const QUERY_UNITS = [
  'customer',
  'event',
  'touch',
  'assignment',
  'customer_channel',
] as const;
export const QueryUnitSchema = z.enum(QUERY_UNITS);
export type QueryUnit = z.infer<typeof QueryUnitSchema>;

export const LIFECYCLE_STAGES = ['intro', 'growth', 'mature', 'decline'] as const;
export const NES_STATUSES = ['new', 'E0', 'S1', 'S2', 'S3'] as const;
/** RFM high/low classes, R first. "+" is high: R+ = more recent than the mean (smaller R). */
export const RFM_CLASSES = [
  'R+F+M+',
  'R+F-M+',
  'R-F+M+',
  'R-F-M+',
  'R+F+M-',
  'R+F-M-',
  'R-F+M-',
  'R-F-M-',
] as const;
/** Marketing names of the 8 classes (important/general x value/develop/keep/retain). */
export const RFM_CLASS_NAMES: Record<(typeof RFM_CLASSES)[number], string> = {
  'R+F+M+': 'important value',
  'R+F-M+': 'important develop',
  'R-F+M+': 'important keep',
  'R-F-M+': 'important retain',
  'R+F+M-': 'general value',
  'R+F-M-': 'general develop',
  'R-F+M-': 'general keep',
  'R-F-M-': 'general retain',
};
export const SCORES = ['1', '2', '3', '4', '5'] as const;

/**
 * Derived fields available per unit. `customer` unit: all CUSTOMER_FIELDS. `event` unit: the
 * customer fields plus EVENT_FIELDS, and so on. Customer attributes are `attr.<name>`, feature
 * table columns are `table.<table>.<column>` (customer unit only).
 */
export const CUSTOMER_NUMERIC_FIELDS = [
  'recency_days', // days from the last event (purchase) to asOf; missing if none
  'frequency', // number of purchase events up to asOf
  'monetary', // sum of purchase amounts up to asOf
  'avg_order_value', // monetary / frequency; missing if frequency = 0
  'tenure_months', // whole calendar months from signup to asOf
  'purchase_cycle_days', // mean interval between consecutive purchase days; missing under 2 purchase days
  'clv_historical', // historical value to date = monetary (a model-based CLV comes later)
  'rfm_score_sum', // r_score + f_score + m_score, 3..15
] as const;
export const CUSTOMER_CATEGORICAL_FIELDS = {
  lifecycle_stage: LIFECYCLE_STAGES,
  nes_status: NES_STATUSES,
  rfm_class: RFM_CLASSES,
  r_score: SCORES,
  f_score: SCORES,
  m_score: SCORES,
} as const;
export const EVENT_FIELDS = [
  'event_type',
  'channel',
  'category',
  'amount',
  'hour_of_week',
] as const;
export const TOUCH_FIELDS = [
  'channel',
  'campaign',
  'variant',
  'outcome',
  'hour_of_week',
  'responded',
] as const;
/** assignment = one row per (customer, campaign, variant): funnel / A-B units. */
export const ASSIGNMENT_FIELDS = [
  'campaign',
  'variant',
  'exposed',
  'clicked',
  'converted',
] as const;
/** customer_channel = one row per (customer, channel) with touches in the last 7 days (fatigue). */
export const CUSTOMER_CHANNEL_FIELDS = ['channel', 'touches_7d'] as const;

const FieldSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[a-z_][a-z0-9_]*(\.[A-Za-z0-9_-]+){0,2}$/,
    'field names are snake_case, or attr.<name> / table.<table>.<column>'
  );

export const CategoryDimensionSchema = z.object({
  field: FieldSchema,
  /** Declared categories. An extra `__other__` cell always follows them (undeclared or missing). */
  categories: z.array(z.string().min(1).max(100)).min(1).max(1000),
});

export const BinDimensionSchema = z.object({
  field: FieldSchema,
  /** Strictly increasing edges e0..ek: cells `<e0`, `[e0,e1)`, ..., `>=ek`, then `__missing__`. */
  edges: z
    .array(z.number().finite())
    .min(1)
    .max(1000)
    .refine(
      (e) => e.every((v, i) => i === 0 || v > (e[i - 1] as number)),
      'edges must be strictly increasing'
    ),
});

export const DimensionSchema = z.union([CategoryDimensionSchema, BinDimensionSchema]);
export type Dimension = z.infer<typeof DimensionSchema>;

export const MeasureSchema = z
  .object({
    field: FieldSchema,
    /** Clipping bounds: each value is clamped into [lower, upper] before it is summed. */
    lower: z.number().finite(),
    upper: z.number().finite(),
    /** Fixed-point scale for the sum: round(clip(x) * scale) is summed. Integer >= 1. */
    scale: z.number().int().min(1).max(1_000_000).default(1),
    /** Also release the sum of squares of round(clip(x) * squareScale). */
    squares: z.boolean().default(false),
    squareScale: z.number().int().min(1).max(1_000_000).default(1),
  })
  .refine((m) => m.upper > m.lower, {
    message: 'upper must be greater than lower',
    path: ['upper'],
  });
export type Measure = z.infer<typeof MeasureSchema>;

export const LifecycleParamsSchema = z.object({
  introMonths: z.number().int().min(0).default(3),
  growthMonths: z.number().int().min(1).default(12),
  matureMonths: z.number().int().min(1).default(36),
  /** No event for more than this many days => decline, whatever the tenure. */
  declineInactiveDays: z.number().int().min(1).default(90),
});

export const NesParamsSchema = z.object({
  /** First purchase within this many days of asOf => new. */
  newDays: z.number().int().min(1).default(30),
  /** Days since last purchase / own purchase cycle: <= e0 => E0, <= s1 => S1, <= s2 => S2, else S3. */
  multiples: z
    .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
    .default([1.5, 2.5, 3.5])
    .refine(([a, b, c]) => a < b && b < c, 'multiples must be increasing'),
  /** Cycle for customers with fewer than 2 purchase days. */
  defaultCycleDays: z.number().positive().default(90),
});

const Thresholds4 = z
  .tuple([z.number(), z.number(), z.number(), z.number()])
  .refine(([a, b, c, d]) => a < b && b < c && c < d, 'thresholds must be increasing');

export const RfmParamsSchema = z.object({
  /** Federation-wide means for the 8-class split (phase 2 of the two-phase RFM job). */
  means: z.object({ recency: z.number(), frequency: z.number(), monetary: z.number() }).optional(),
  /**
   * Score thresholds, increasing. Frequency/monetary: score = 1 + #thresholds <= value.
   * Recency (smaller is better): score = 5 - #thresholds < value... i.e. 1 + #thresholds >= value.
   */
  scoreThresholds: z
    .object({ recency: Thresholds4, frequency: Thresholds4, monetary: Thresholds4 })
    .default({
      recency: [30, 90, 180, 365],
      frequency: [2, 3, 5, 10],
      monetary: [50, 100, 250, 500],
    }),
});

export const SegmentQuerySchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('segment_stats'),
    /** Free label shown in results and the ledger. */
    name: z.string().min(1).max(200).default('segment statistics'),
    purpose: PurposeSchema,
    unit: QueryUnitSchema.default('customer'),
    /** User-level contribution bound: rows beyond this per customer are dropped (earliest kept). */
    maxRowsPerCustomer: z.number().int().min(1).max(1000).default(1),
    /** Reference date: everything is computed as of 00:00 UTC that day, later rows are ignored. */
    asOf: IsoDateSchema,
    dimensions: z.array(DimensionSchema).max(4).default([]),
    measures: z.array(MeasureSchema).max(16).default([]),
    params: z
      .object({
        lifecycle: LifecycleParamsSchema.default(LifecycleParamsSchema.parse({})),
        nes: NesParamsSchema.default(NesParamsSchema.parse({})),
        rfm: RfmParamsSchema.default(RfmParamsSchema.parse({})),
      })
      .default({
        lifecycle: LifecycleParamsSchema.parse({}),
        nes: NesParamsSchema.parse({}),
        rfm: RfmParamsSchema.parse({}),
      }),
    /** Total epsilon this query spends at one node (sequential composition over its blocks). */
    epsilon: EpsilonSchema,
    /**
     * Relative epsilon weights per layout block (`count`, `total`, `sum:<field>`, `sumsq:<field>`);
     * a block not named gets weight 1. The split is explicit and part of the layout hash.
     */
    epsilonWeights: z.record(z.string(), z.number().int().min(1).max(1000)).default({}),
  })
  .superRefine((q, ctx) => {
    if (q.unit === 'customer' && q.maxRowsPerCustomer !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxRowsPerCustomer'],
        message: 'a customer-unit query has exactly one row per customer',
      });
    }
    const dims = new Set<string>();
    q.dimensions.forEach((d, i) => {
      if (dims.has(d.field))
        ctx.addIssue({
          code: 'custom',
          path: ['dimensions', i, 'field'],
          message: `dimension ${d.field} declared twice`,
        });
      dims.add(d.field);
    });
    const meas = new Set<string>();
    q.measures.forEach((m, i) => {
      if (meas.has(m.field))
        ctx.addIssue({
          code: 'custom',
          path: ['measures', i, 'field'],
          message: `measure ${m.field} declared twice`,
        });
      meas.add(m.field);
    });
    if (q.dimensions.some((d) => d.field === 'rfm_class') && !q.params.rfm.means) {
      ctx.addIssue({
        code: 'custom',
        path: ['params', 'rfm', 'means'],
        message: 'rfm_class needs params.rfm.means (phase 1 of the RFM job supplies them)',
      });
    }
  });

export type SegmentQuery = z.infer<typeof SegmentQuerySchema>;
export type SegmentQueryInput = z.input<typeof SegmentQuerySchema>;
