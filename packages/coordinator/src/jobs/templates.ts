import { JobSpecSchema, LIFECYCLE_STAGES, NES_STATUSES, type JobSpecInput } from '@fedmark/protocol';

export const TEMPLATE_NAMES = ['rfm', 'lifecycle', 'ab-test', 'segment', 'train'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/**
 * Ready-made job specs (the catalogue of docs/analytics.md). Clipping bounds are generic retail
 * defaults: a customer's contribution is clipped to them, so pick bounds that cover most customers
 * in your data (values beyond are counted at the bound). `asOf` is the given day (default
 * today, UTC).
 */
export function jobTemplate(name: TemplateName, asOf = new Date().toISOString().slice(0, 10)): JobSpecInput {
  const base = { version: 1 as const, kind: 'segment_stats' as const, asOf };
  switch (name) {
    case 'rfm':
      // Two rounds at epsilon 0.5 each: 1.0 per node for the whole job.
      return {
        version: 1,
        kind: 'rfm',
        name: 'RFM 8-class segmentation',
        minNodes: 3,
        query: {
          ...base,
          purpose: 'marketing',
          epsilon: 0.5,
          measures: [
            { field: 'recency_days', lower: 0, upper: 730 },
            { field: 'frequency', lower: 0, upper: 100 },
            { field: 'monetary', lower: 0, upper: 10000 },
          ],
        },
      };
    case 'lifecycle':
      return {
        version: 1,
        kind: 'segment_stats',
        name: 'lifecycle x NES',
        minNodes: 3,
        query: {
          ...base,
          name: 'lifecycle x NES',
          purpose: 'analytics',
          epsilon: 1,
          dimensions: [
            { field: 'lifecycle_stage', categories: [...LIFECYCLE_STAGES] },
            { field: 'nes_status', categories: [...NES_STATUSES] },
          ],
          measures: [{ field: 'monetary', lower: 0, upper: 10000 }],
        },
      };
    case 'ab-test':
      // One row per (customer, campaign, variant); declare your campaign and variant names.
      return {
        version: 1,
        kind: 'segment_stats',
        name: 'A/B test by lifecycle stage',
        minNodes: 3,
        query: {
          ...base,
          name: 'A/B test by lifecycle stage',
          purpose: 'marketing',
          unit: 'assignment',
          maxRowsPerCustomer: 4,
          epsilon: 1,
          dimensions: [
            { field: 'campaign', categories: ['spring-sale'] },
            { field: 'variant', categories: ['A', 'B'] },
            { field: 'lifecycle_stage', categories: [...LIFECYCLE_STAGES] },
          ],
          measures: [
            { field: 'clicked', lower: 0, upper: 1 },
            { field: 'converted', lower: 0, upper: 1 },
          ],
        },
      };
    case 'train':
      // A churn propensity model on each node's feature table `churn` (import it with
      // `fedmark node import --kind table --table churn --id-column customer_id`). Edit the
      // columns, bounds and categories to your table: every feature declares them, so each
      // customer's contribution (and so the sensitivity) is known. Plain heavy-ball gradient
      // descent with few rounds measured best per unit of privacy (docs/models.md).
      return {
        version: 1,
        kind: 'train',
        name: 'churn propensity',
        minNodes: 3,
        train: {
          version: 1,
          kind: 'train',
          name: 'churn propensity',
          purpose: 'model_training',
          table: 'churn',
          label: { column: 'churn', positive: 'Yes' },
          features: [
            { type: 'numeric', column: 'tenure', lower: 0, upper: 72 },
            { type: 'numeric', column: 'monthly_charges', lower: 18, upper: 120 },
            { type: 'numeric', column: 'total_charges', lower: 0, upper: 9000 },
            { type: 'categorical', column: 'contract', categories: ['Month-to-month', 'One year', 'Two year'] },
            { type: 'categorical', column: 'internet_service', categories: ['DSL', 'Fiber optic', 'No'] },
            { type: 'categorical', column: 'payment_method', categories: ['Electronic check', 'Mailed check', 'Bank transfer (automatic)', 'Credit card (automatic)'] },
          ],
          rounds: 4,
          optimiser: { kind: 'gd', learningRate: 4, momentum: 0.5 },
          clipNorm: 1,
          l2: 1,
          epsilon: 1,
          minNodes: 3,
          validation: { fraction: 0.2, seed: 1 },
        },
      };
    case 'segment':
      return {
        version: 1,
        kind: 'segment_stats',
        name: 'value by R score',
        minNodes: 3,
        query: {
          ...base,
          name: 'value by R score',
          purpose: 'analytics',
          epsilon: 0.5,
          dimensions: [{ field: 'r_score', categories: ['1', '2', '3', '4', '5'] }],
          // Squares of frequency (bound 100 -> 10^4 per customer) keep the sum of squares far
          // inside the plaintext range; squares of monetary at this bound would not fit.
          measures: [
            { field: 'monetary', lower: 0, upper: 10000 },
            { field: 'frequency', lower: 0, upper: 100, squares: true },
          ],
        },
      };
  }
}

/** Every template must parse: checked by the tests and by `fedmark job template`. */
export function checkedTemplate(name: TemplateName, asOf?: string): JobSpecInput {
  const t = jobTemplate(name, asOf);
  JobSpecSchema.parse(t);
  return t;
}
