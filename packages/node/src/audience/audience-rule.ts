import { z } from 'zod';
import { CUSTOMER_FIELD_NAMES } from '../analytics/customer-fields.ts';
import { ModelRefSchema } from '../decide/policy-schema.ts';

/**
 * An audience rule file (`fedmark node audience --rule`, docs/decide.md "Audiences"): customers
 * matching every `where` condition on the segment query's customer fields (docs/analytics.md
 * field names: lifecycle_stage, rfm_score_sum, attr.<name>, ...) or a feature table's column
 * (`table.<table>.<column>`, e.g. `table.clv.clv` written by `fedmark node clv-score`,
 * docs/clv.md "Per-customer") and, optionally, a model score threshold. Marketing consent in force is always required on top; it is not part of the rule.
 */

const FIELD_RE = /^(attr\.[A-Za-z0-9_-]+|table\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+|[a-z_]+)$/;

export const ConditionSchema = z
  .strictObject({
    field: z
      .string()
      .regex(FIELD_RE, 'expected a customer field name, attr.<name> or table.<table>.<column>')
      .refine(
        (f) =>
          f.startsWith('attr.') ||
          f.startsWith('table.') ||
          (CUSTOMER_FIELD_NAMES as string[]).includes(f),
        `expected one of ${CUSTOMER_FIELD_NAMES.join(', ')}, attr.<name> or table.<table>.<column>`
      ),
    /** The value (as text) is one of these: categorical fields and attributes. */
    in: z.array(z.string().min(1)).min(1).max(1000).optional(),
    /** The numeric value lies in [min, max]. */
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .refine((c) => c.in !== undefined || c.min !== undefined || c.max !== undefined, {
    message: 'a condition needs in, min or max',
    path: ['in'],
  });

export const AudienceRuleSchema = z
  .strictObject({
    version: z.literal(1),
    kind: z.literal('audience'),
    name: z.string().min(1).max(200),
    where: z.array(ConditionSchema).max(16).default([]),
    score: z
      .strictObject({
        model: ModelRefSchema,
        min: z.number().min(0).max(1).optional(),
        max: z.number().min(0).max(1).optional(),
      })
      .optional(),
  })
  .refine((r) => r.where.length > 0 || r.score !== undefined, {
    message: 'an audience rule needs a where condition or a score threshold',
    path: ['where'],
  });

export type AudienceRule = z.infer<typeof AudienceRuleSchema>;
export type Condition = z.infer<typeof ConditionSchema>;
