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
