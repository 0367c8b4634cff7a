import { describe, expect, it } from 'vitest';
import { RoundJobSpecSchema } from '@fedmark/protocol';
import { abTestJob, defaultJobs } from './default-jobs.ts';

describe("the demo's default jobs", () => {
  it('are RFM, lifecycle x NES, the A/B test per campaign and the train template, each a valid spec', () => {
    const jobs = defaultJobs('2026-01-01', 0.5).map((j) => RoundJobSpecSchema.parse(j));
    expect(jobs.map((j) => [j.kind, j.name])).toEqual([
      ['rfm', 'RFM 8-class segmentation (two-phase)'],
      ['segment_stats', 'Lifecycle stage x NES status'],
      ['segment_stats', 'A/B test by campaign'],
      ['train', 'churn propensity'],
    ]);
  });

  it("leave out the A/B and train jobs the nodes' own files cannot answer", () => {
    expect(
      defaultJobs('2026-01-01', 0.5, { abTest: false, train: false }).map((j) => j.name)
    ).toEqual(['RFM 8-class segmentation (two-phase)', 'Lifecycle stage x NES status']);
    expect(
      defaultJobs('2026-01-01', 0.5, { abTest: true, train: false })
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
});
