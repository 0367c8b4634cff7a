import type { RoundJobSpecInput } from '@fedmark/protocol';
import { jobTemplate } from '../jobs/templates.ts';

/**
 * The demo's default jobs: the two-phase RFM job and lifecycle x NES with monetary value (at
 * `epsilon` per round at each node), then an A/B test per campaign (the `ab-test` template
 * without its lifecycle split), the response rate per channel and time of week (which the demo's
 * next-best-action step reads, action-demo.ts) and the `train` template as `fedmark job template`
 * prints it, so a user can rerun what the demo showed. Clipping
 * bounds are declared per measure so each customer's contribution, and so the sensitivity, is
 * known.
 *
 * Budgets at each node under the default policy (docs/privacy.md): analytics 2 x epsilon + epsilon
 * + 2 for the A/B test + 0.5 for the response rates (4 of 4 at the default 0.5), model_training
 * 1 of 4.
 */
export function defaultJobs(
  asOf: string,
  epsilon = 0.5,
  include = { abTest: true, responseRates: true, train: true }
): RoundJobSpecInput[] {
  const jobs: RoundJobSpecInput[] = [
    {
      version: 1,
      kind: 'rfm',
      name: 'RFM 8-class segmentation (two-phase)',
      query: {
        version: 1,
        kind: 'segment_stats',
        purpose: 'analytics',
        asOf,
        epsilon,
        measures: [
          { field: 'recency_days', lower: 0, upper: 1000, scale: 1 },
          { field: 'frequency', lower: 0, upper: 100, scale: 1 },
          { field: 'monetary', lower: 0, upper: 5000, scale: 100 },
        ],
      },
    },
    {
      version: 1,
      kind: 'segment_stats',
      name: 'Lifecycle stage x NES status',
      query: {
        version: 1,
        kind: 'segment_stats',
        name: 'lifecycle x NES',
        purpose: 'analytics',
        asOf,
        epsilon,
        dimensions: [
          { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
          { field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] },
        ],
        measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
      },
    },
  ];
  if (include.abTest) jobs.push(abTestJob(asOf));
  if (include.responseRates) jobs.push(responseRateJob(asOf));
  if (include.train) jobs.push(jobTemplate('train', asOf));
  return jobs;
}

/**
 * The `ab-test` template without its lifecycle split, at epsilon 2: one conversion rate per
 * campaign and variant. The showcase is spring_sale at the retailer (conversion after a click
 * 0.12 for A and 0.18 for B, packages/node/src/synth/profiles.ts), about 4,400 exposures per
 * variant, of which 3 to 5% convert. Split five ways by stage, or at epsilon 1, the DP noise on
 * those conversions is a large part of the interval; at 2 (a node's default per-job cap, and half
 * its monthly analytics budget, docs/privacy.md) the interval on the lift excludes 0 in about 96%
 * of runs and covers the generator's truth (docs/coordinator.md, simulate).
 */
export function abTestJob(asOf: string): RoundJobSpecInput {
  const t = jobTemplate('ab-test', asOf);
  if (!('query' in t)) throw new Error('the ab-test template is a statistics job');
  const name = 'A/B test by campaign';
  return {
    ...t,
    name,
    query: {
      ...t.query,
      name,
      epsilon: 2,
      dimensions: (t.query.dimensions ?? []).filter((d) => d.field !== 'lifecycle_stage'),
    },
  };
}

/**
 * Response rate (clicked or converted) per touch channel and half-day of the week (UTC), the
 * published figures a decision policy's `responseRates` reads (docs/decide.md). Half-days, not
 * hours: at epsilon 0.5 with up to 5 touches per customer, 3-hour cells of the demo's smaller
 * channels had intervals of +-0.3 around rates of 0.1-0.3; half-days have about a quarter of that
 * noise relative to their counts. Cells with too few touches are marked unreliable and a decision
 * ignores them.
 */
export function responseRateJob(asOf: string): RoundJobSpecInput {
  const name = 'Response rate by channel x time of week';
  return {
    version: 1,
    kind: 'segment_stats',
    name,
    query: {
      version: 1,
      kind: 'segment_stats',
      name,
      purpose: 'analytics',
      asOf,
      epsilon: 0.5,
      unit: 'touch',
      maxRowsPerCustomer: 5,
      dimensions: [
        // The channels a policy sends on; web visits and the rest are __other__.
        { field: 'channel', categories: ['email', 'sms', 'app'] },
        { field: 'hour_of_week', edges: Array.from({ length: 13 }, (_, i) => 12 * (i + 1)) },
      ],
      measures: [{ field: 'responded', lower: 0, upper: 1, scale: 1 }],
    },
  };
}
