import { describe, expect, it } from 'vitest';
import { RoundJobSpecSchema } from '@fedmark/protocol';
import { abTestJob, defaultJobs, responseRateJob } from './default-jobs.ts';

describe("the demo's default jobs", () => {
  it('are RFM, lifecycle x NES, the A/B test per campaign, response rates and the train template, each a valid spec', () => {
    const jobs = defaultJobs('2026-01-01', 0.5).map((j) => RoundJobSpecSchema.parse(j));
    expect(jobs.map((j) => [j.kind, j.name])).toEqual([
      ['rfm', 'RFM 8-class segmentation (two-phase)'],
      ['segment_stats', 'Lifecycle stage x NES status'],
      ['segment_stats', 'A/B test by campaign'],
      ['segment_stats', 'Response rate by channel x time of week'],
      ['train', 'churn propensity'],
    ]);
  });

  it("leave out the A/B and train jobs the nodes' own files cannot answer", () => {
    expect(
      defaultJobs('2026-01-01', 0.5, { abTest: false, responseRates: false, train: false }).map(
        (j) => j.name
      )
    ).toEqual(['RFM 8-class segmentation (two-phase)', 'Lifecycle stage x NES status']);
    expect(
      defaultJobs('2026-01-01', 0.5, { abTest: true, responseRates: false, train: false })
        .map((j) => j.name)
        .at(-1)
    ).toBe('A/B test by campaign');
  });

  it('run the A/B template per campaign and variant only, at epsilon 2', () => {
    const spec = RoundJobSpecSchema.parse(abTestJob('2026-01-01'));
    if (!('query' in spec)) throw new Error('the A/B job is a statistics job');
    expect([spec.query.name, spec.query.epsilon, spec.query.purpose, spec.query.asOf]).toEqual([
      'A/B test by campaign',
      2,
      'analytics',
      '2026-01-01',
    ]);
    expect(spec.query.dimensions.map((d) => d.field)).toEqual(['campaign', 'variant']);
  });

  it('read response rates per touch channel and half-day of the week, the last part of the analytics budget', () => {
    const spec = RoundJobSpecSchema.parse(responseRateJob('2026-01-01'));
    if (!('query' in spec)) throw new Error('the response-rate job is a statistics job');
    expect([spec.query.unit, spec.query.maxRowsPerCustomer, spec.query.epsilon]).toEqual([
      'touch',
      5,
      0.5,
    ]);
    const hours = spec.query.dimensions[1];
    expect(
      hours && 'edges' in hours ? [hours.field, hours.edges.length, hours.edges.at(-1)] : []
    ).toEqual(['hour_of_week', 13, 156]);
    // Analytics spent by the default jobs at each node: RFM two rounds, lifecycle, A/B, rates.
    const spent = defaultJobs('2026-01-01', 0.5)
      .map((j) => RoundJobSpecSchema.parse(j))
      .filter((j) => j.kind !== 'train')
      .reduce((s, j) => s + ('query' in j ? j.query.epsilon * (j.kind === 'rfm' ? 2 : 1) : 0), 0);
    expect(spent).toBe(4);
  });
});
