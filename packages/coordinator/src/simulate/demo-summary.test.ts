import { describe, expect, it } from 'vitest';
import {
  SegmentQuerySchema,
  interpretVector,
  layoutOf,
  type JobResult,
  type RoundResult,
} from '@fedmark/protocol';
import { abTestJob } from './default-jobs.ts';
import { abTestOf, abTestReport, epsilonSpentPerNode, modelFooter } from './demo-summary.ts';

/** A published round carrying only what the demo summary reads (the interpretation and the privacy facts). */
function round(over: Partial<RoundResult>): RoundResult {
  return {
    version: 1,
    jobId: 'j-0000000000000001',
    round: 0,
    name: 'r',
    layoutHash: '0'.repeat(64),
    contributingNodes: ['a', 'b', 'c'],
    epsilonPerNode: 1,
    noise: 'off-test-only',
    values: [],
    noiseVariance: [],
    cells: [],
    notes: [],
    publishedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

const result = (over: Partial<JobResult>): JobResult => ({
  version: 1,
  jobId: 'j-0000000000000001',
  name: 'job',
  kind: 'segment_stats',
  status: 'published',
  rounds: [],
  ...over,
});

/** The demo's A/B layout with 4000 exposures per variant of spring_sale, 120 and 180 converted, exact (no noise). */
function abResult(): JobResult {
  const spec = abTestJob('2026-01-01');
  if (!('query' in spec)) throw new Error('the A/B job is a statistics job');
  const q = SegmentQuerySchema.parse(spec.query);
  const layout = layoutOf(q);
  const values = new Array<bigint>(layout.length).fill(0n);
  const at = (block: string, labels: string[]) => {
    const b = layout.blocks.find((x) => x.name === block);
    const i = layout.cells.findIndex((c) => JSON.stringify(c) === JSON.stringify(labels));
    if (!b || i < 0) throw new RangeError(`no ${block} slot for ${labels.join('/')}`);
    return b.offset + i;
  };
  const cells = [
    ['spring_sale', 'A', 4000n, 120n],
    ['spring_sale', 'B', 4000n, 180n],
    ['retention_offer', 'A', 100n, 1n],
    ['retention_offer', 'B', 100n, 5n],
  ] as const;
  for (const [campaign, variant, exposed, converted] of cells) {
    values[at('count', [campaign, variant])] = exposed;
    values[at('sum:clicked', [campaign, variant])] = exposed / 4n;
    values[at('sum:converted', [campaign, variant])] = converted;
  }
  values[layout.blocks.find((b) => b.name === 'total')?.offset ?? -1] = 8200n;
  const interpretation = interpretVector(layout, values, new Array<number>(layout.length).fill(0), {
    dimensions: ['campaign', 'variant'],
  });
  return result({ name: 'A/B test by campaign', rounds: [round({ interpretation })] });
}

describe('demo summary', () => {
  it('reads an A/B job per campaign: rates, difference in points and relative lift with their 95% intervals', () => {
    const summary = abTestOf(abResult());
    if (!summary) throw new Error('expected an A/B reading');
    const spring = summary.groups
      .find((g) => g.segment === 'spring_sale')
      ?.variants.find((v) => v.variant === 'B');
    // Exact vector: the intervals are the binomial sampling part alone, p(1-p)/E per rate.
    expect(spring?.rate?.estimate).toBeCloseTo(0.045, 12);
    expect(spring?.difference?.low).toBeCloseTo(0.0066800943, 9);
    expect(spring?.lift?.high).toBeCloseTo(0.8401884772, 9);
    const lines = abTestReport(summary).split('\n');
    expect(lines[2]?.trim().split(/\s{2,}/)).toEqual([
      'campaign',
      'exposed A',
      'rate A',
      'exposed B',
      'rate B',
      'B - A (points)',
      'lift B/A',
      'p',
    ]);
    expect(
      lines
        .find((l) => l.includes('spring_sale'))
        ?.trim()
        .split(/\s{2,}/)
    ).toEqual([
      'spring_sale',
      '4000',
      '3.00% ± 0.53%',
      '4000',
      '4.50% ± 0.64%',
      '+1.50 [+0.67, +2.33]',
      '+50% [+16%, +84%]',
      '<0.001',
    ]);
    // 1 in 100 is not clearly above 0 (1% ± 1.95%): no ratio against it.
    expect(
      lines
        .find((l) => l.includes('retention_offer'))
        ?.trim()
        .split(/\s{2,}/)
        .slice(5)
    ).toEqual(['+4.00 [-0.70, +8.70]', '-', '0.095']);
    // Campaigns nobody ran have no exposures and no rate; `__other__` campaigns are not listed.
    expect(
      lines
        .find((l) => l.includes('fund_launch'))
        ?.trim()
        .split(/\s{2,}/)
        .slice(1)
    ).toEqual(['0', '-', '0', '-', '-', '-', '-']);
    expect(lines.some((l) => l.includes('__other__'))).toBe(false);
  });

  it('is null for a job without a variant dimension or a converted measure', () => {
    const spec = abTestJob('2026-01-01');
    if (!('query' in spec)) throw new Error('the A/B job is a statistics job');
    const q = SegmentQuerySchema.parse({
      ...spec.query,
      dimensions: [{ field: 'campaign', categories: ['spring_sale'] }],
    });
    const layout = layoutOf(q);
    const interpretation = interpretVector(
      layout,
      new Array<bigint>(layout.length).fill(0n),
      new Array<number>(layout.length).fill(0),
      { dimensions: ['campaign'] }
    );
    expect(abTestOf(result({ rounds: [round({ interpretation })] }))).toBe(null);
    expect(abTestOf(result({ kind: 'rfm', rounds: [] }))).toBe(null);
  });

  it('counts the epsilon a node spent over the rounds it contributed to, and names the model file', () => {
    const train = result({
      kind: 'train',
      rounds: [
        round({ round: 0, epsilonPerNode: 0.1 }),
        round({ round: 1, epsilonPerNode: 0.225 }),
        round({ round: 2, epsilonPerNode: 0.225, contributingNodes: ['a', 'b'] }),
      ],
    });
    expect(epsilonSpentPerNode(train)).toEqual({ a: 0.55, b: 0.55, c: 0.325 });
    expect(modelFooter(train, '/tmp/m.json').split('\n')).toEqual([
      '   epsilon spent per node (purpose model_training): a 0.55, b 0.55, c 0.325',
      '   model file: /tmp/m.json',
      '   score any CSV with these columns: fedmark model score --model /tmp/m.json --file churn.csv --out scores.csv',
    ]);
    expect(modelFooter(train, undefined).split('\n').at(-1)).toBe(
      '   model file: not written (give --model-out FILE)'
    );
  });
});
