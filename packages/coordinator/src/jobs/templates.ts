import {
  JobSpecSchema,
  LIFECYCLE_STAGES,
  NES_STATUSES,
  type RoundJobSpecInput,
} from '@fedmark/protocol';

export const TEMPLATE_NAMES = ['rfm', 'lifecycle', 'ab-test', 'segment', 'train', 'clv'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** The campaigns `fedmark node synth` runs (retail, bank, telecom profiles), in profile order. */
export const SYNTHETIC_CAMPAIGNS = [
  'spring_sale',
  'loyalty_push',
  'holiday_promo',
  'fund_launch',
  'card_upgrade',
  'retention_offer',
  'data_bundle',
  'streaming_addon',
] as const;

/**
 * Ready-made job specs (the catalogue of docs/analytics.md). Clipping bounds are generic retail
 * defaults: a customer's contribution is clipped to them, so pick bounds that cover most customers
 * in your data (values beyond are counted at the bound). `asOf` is the given day (default
 * today, UTC).
 */
export function jobTemplate(
  name: TemplateName,
  asOf = new Date().toISOString().slice(0, 10)
): RoundJobSpecInput {
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
      // Conversion by campaign, variant and lifecycle stage. One row per customer, campaign and
      // variant (unit `assignment`, docs/analytics.md): `converted` is 1 if any of its touches
      // converted, `clicked` if any was clicked; the cell count is the exposures. abTestSummary
      // (@fedmark/protocol) reads the result as a rate per variant and the lift of B over A,
      // per campaign (segmentDimension) summed over the stages. The campaigns are the ones
      // `fedmark node synth` writes (test/synth-templates.test.ts checks them against its
      // output); list yours, anything else lands in `__other__`.
      // - maxRowsPerCustomer 3: a synthetic customer is in at most 3 campaigns, one variant each,
      //   so no row is dropped; set it to the most campaigns one of your customers is in (it is
      //   every block's sensitivity, so the noise grows with it).
      // - 7/10 of epsilon on the conversions: they are the scarce figure (a few percent of the
      //   exposures), while counts in the hundreds or thousands tolerate more noise.
      // - Each stage is a cell with its own noise, and cells under a node's minimum cohort are
      //   suppressed: drop the `lifecycle_stage` dimension for one rate per campaign and
      //   variant, as `fedmark simulate` does (docs/coordinator.md, simulate).
      return {
        version: 1,
        kind: 'segment_stats',
        name: 'A/B test by lifecycle stage',
        minNodes: 3,
        query: {
          ...base,
          name: 'A/B test by lifecycle stage',
          // Measuring how a campaign did reads the outcomes of touches already sent: analytics.
          // The marketing purpose is for choosing whom to contact (RFM targeting, scoring), and
          // its smaller default budget would otherwise go on measurement.
          purpose: 'analytics',
          unit: 'assignment',
          maxRowsPerCustomer: 3,
          epsilon: 1,
          epsilonWeights: { count: 1, total: 1, 'sum:clicked': 1, 'sum:converted': 7 },
          dimensions: [
            { field: 'campaign', categories: [...SYNTHETIC_CAMPAIGNS] },
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
      // A churn propensity model on each node's feature table `churn` in the form `fedmark node
      // synth` writes it (churn.csv, docs/node-data.md; import it with `fedmark node import
      // --kind table --table churn churn.csv`): churn = Yes when the customer buys nothing in the
      // quarter after the data ends. Every feature declares its bounds or categories, so each
      // customer's contribution, and so the sensitivity, is known: the day counts span the
      // two-year synthetic window, and order values differ by institution (a bank's are about
      // 25 times a retailer's), so 10000 clips only the top few percent of bank customers.
      // For another table, such as the telco churn data of docs/models.md §1, set `table`,
      // `label` and the features to its columns: numeric ones with bounds that cover most
      // customers (values beyond count at the bound), categorical ones with their categories
      // (anything else goes to `__other__`). Plain heavy-ball gradient descent with few rounds
      // measured best per unit of privacy (docs/models.md §5).
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
            { type: 'numeric', column: 'tenure_days', lower: 0, upper: 731 },
            { type: 'numeric', column: 'purchases', lower: 0, upper: 50 },
            { type: 'numeric', column: 'recency_days', lower: 0, upper: 731 },
            { type: 'numeric', column: 'avg_order_value', lower: 0, upper: 10000 },
            { type: 'numeric', column: 'visits_90d', lower: 0, upper: 20 },
            {
              type: 'categorical',
              column: 'primary_channel',
              categories: ['app', 'web', 'store', 'branch'],
            },
          ],
          rounds: 6,
          optimiser: { kind: 'diagonal', learningRate: 4, diagonalRate: 0.75, momentum: 0.5 },
          clipNorm: 1,
          l2: 1,
          epsilon: 1,
          minNodes: 3,
          validation: { fraction: 0.2, seed: 1 },
        },
      };
    case 'clv':
      // Federated BG/NBD + Gamma-Gamma (docs/clv.md "The clv job") over each node's purchases up
      // to and including the as-of day, in weeks, at epsilon 1 per node for the whole fit. Its
      // model file feeds `fedmark node clv-score` (CLV tiers, P(alive)); no column to declare:
      // every node summarises its own purchase events.
      return {
        version: 1,
        kind: 'clv',
        name: 'customer lifetime value',
        minNodes: 3,
        clv: { calibrationEnd: asOf, epsilon: 1, daysPerUnit: 7 },
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
export function checkedTemplate(name: TemplateName, asOf?: string): RoundJobSpecInput {
  const t = jobTemplate(name, asOf);
  JobSpecSchema.parse(t);
  return t;
}
