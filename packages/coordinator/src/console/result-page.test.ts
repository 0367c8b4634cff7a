import { describe, expect, it } from 'vitest';
import { SegmentQuerySchema, layoutOf } from '@fedmark/protocol';
import { buildRoundResult } from '../results/publish.ts';
import { ResultPage, blocksOf, chartBars, type ResultView } from './result-page.tsx';

describe('console result page: post-processed figures', () => {
  const q = SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    name: 'nes',
    purpose: 'analytics',
    asOf: '2026-01-31',
    epsilon: 1,
    dimensions: [{ field: 'nes_status', categories: ['new', 'E0'] }],
    measures: [{ field: 'monetary', lower: 0, upper: 5000, scale: 100 }],
  });
  // Cells new, E0, __other__: count [-5, 14, 400], total 409, sum:monetary (cents) [-1000, 8066800, 4000000].
  const round = buildRoundResult({
    jobId: 'j-0123456789abcdef',
    round: 0,
    name: 'nes',
    layout: layoutOf(q),
    values: [-5n, 14n, 400n, 409n, -1_000n, 8_066_800n, 4_000_000n],
    contributors: ['a', 'b', 'c'],
    epsilonPerNode: 1,
    noise: 'off-test-only',
    publishedAt: '2026-02-01T10:00:00.000Z',
    dimensions: ['nes_status'],
    measures: q.measures,
  });
  const blocks = blocksOf(round);
  const view: ResultView = {
    jobId: 'j-0123456789abcdef',
    name: 'nes',
    kind: 'segment_stats',
    status: 'published',
    failure: undefined,
    rfmMeans: undefined,
    model: undefined,
    overlap: undefined,
    clv: undefined,
    rounds: [
      {
        round: 0,
        name: 'nes',
        contributingNodes: round.contributingNodes,
        epsilonPerNode: 1,
        noise: round.noise,
        publishedAt: round.publishedAt,
        notes: [],
        blocks,
      },
    ],
  };
  const html = String(ResultPage(view));

  it('charts projected counts and leaves unreliable means out of the chart', () => {
    const mean = blocks.find((b) => b.block === 'mean:monetary');
    expect(mean?.cells.map((c) => [c.labels[0], c.estimate, c.unreliable, c.reason])).toEqual([
      ['E0', 5000, true, 'count 14 is under 20'],
      ['__other__', 100, false, null],
    ]);
    expect(chartBars(mean!)?.map((b) => [b.label, b.value])).toEqual([['__other__', 100]]);
    expect(chartBars(blocks.find((b) => b.block === 'count')!)?.map((b) => b.value)).toEqual([
      0, 14, 400,
    ]);
  });

  it('marks unreliable means with their reason and shows what a projected figure was released as', () => {
    expect(html).toContain(
      '<td>new</td><td class="num">0</td><td class="num">0 – 0</td><td class="num">0</td><td>projected from -5</td>'
    );
    expect(html).toContain(
      '<td>E0</td><td class="num">5,000 †</td><td class="num">5,000 – 5,000</td><td class="num">0</td><td>† unreliable: count 14 is under 20; projected from 5,762</td>'
    );
    expect(html).toContain(
      '<td>__other__</td><td class="num">100</td><td class="num">100 – 100</td><td class="num">0</td><td></td>'
    );
    expect(html).toContain(
      '<p class="muted" data-testid="unreliable-note">1 unreliable value is not drawn (marked † in the table, with the reason).</p>'
    );
    const meanChart =
      /<svg[^>]*aria-label="nes: mean:monetary[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(meanChart.match(/<rect class="bar/g)).toHaveLength(1);
    expect(meanChart).toContain('<title>__other__: 100 (95% interval 100 to 100)</title>');
    expect(html.match(/data-testid="result-chart"/g)).toHaveLength(1);
  });
});

describe('console result page: an overlap job', () => {
  const figure = (a: string, b: string, estimate: number | null, status = 'published') => ({
    nodes: [a, b] as [string, string],
    status: status as 'published' | 'failed',
    estimate,
    raw: estimate,
    noiseStd: estimate === null ? null : 2.8,
    ci95: estimate === null ? null : ([estimate - 6, estimate + 6] as [number, number]),
    epsilon: 0.5,
    delta: 1e-10,
    reason: status === 'failed' ? 'telecom-c: POLICY_REFUSED: <b>no email key</b>' : null,
  });
  const view = (pairs: ReturnType<typeof figure>[]): ResultView => ({
    jobId: 'j-overlap',
    name: 'shared customers',
    kind: 'overlap',
    status: 'published',
    failure: undefined,
    rfmMeans: undefined,
    model: undefined,
    overlap: { matchingKey: 'email', purpose: 'marketing', pairs },
    clv: undefined,
    rounds: [],
  });

  it('draws three nodes as a Venn-like diagram with each pair figure and interval, and a table', () => {
    const html = String(
      ResultPage(
        view([
          figure('bank-b', 'retail-a', 622),
          figure('bank-b', 'telecom-c', 130),
          figure('retail-a', 'telecom-c', null, 'failed'),
        ])
      )
    );
    const venn = /data-testid="overlap-venn"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(venn.match(/<circle /g)?.length).toBe(3);
    expect(venn).toContain('<title>bank-b &amp; retail-a: 622 616 – 628</title>');
    expect(venn).toContain('<title>retail-a &amp; telecom-c: failed</title>');
    expect(venn).toContain('all three: not released');
    // The bar chart holds only the published pairs, with their intervals.
    const bars = /data-testid="overlap-bars"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(bars.match(/<rect /g)?.length).toBe(2);
    expect(bars).toContain('bank-b &amp; telecom-c: 130 (95% interval 124 to 136)');
    expect(html).toContain(
      '<td>bank-b &amp; retail-a</td><td>published</td><td class="num">622</td><td class="num">616 – 628</td><td class="num">2.8</td><td class="num">0.5</td><td></td>'
    );
    expect(html).toContain('&lt;b&gt;no email key&lt;/b&gt;');
    expect(html).not.toContain('<b>no email key</b>');
  });

  it('draws no diagram for four or more nodes (the chart and table carry the figures)', () => {
    const html = String(
      ResultPage(
        view([
          figure('a', 'b', 10),
          figure('a', 'c', 11),
          figure('a', 'd', 12),
          figure('b', 'c', 13),
          figure('b', 'd', 14),
          figure('c', 'd', 15),
        ])
      )
    );
    expect(html).not.toContain('data-testid="overlap-venn"');
    expect(
      /data-testid="overlap-bars"[\s\S]*?<\/svg>/.exec(html)?.[0].match(/<rect /g)?.length
    ).toBe(6);
  });
});
