import { describe, expect, it } from 'vitest';
import {
  RFM_CLASSES,
  SegmentQuerySchema,
  layoutOf,
  type JobEvent,
  type JobResult,
} from '@fedmark/protocol';
import { buildRoundResult } from '../results/publish.ts';
import { jobReport } from '../simulate/report.ts';
import { eventLine, resultText, roundBody } from './render.ts';

const measures = [
  { field: 'recency_days', lower: 0, upper: 1000, scale: 1 },
  { field: 'frequency', lower: 0, upper: 100, scale: 1 },
  { field: 'monetary', lower: 0, upper: 5000, scale: 100 },
];
const means = { recency: 368.2216, frequency: 2.9554, monetary: 106.0804 };
const query = (round: number) =>
  SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    name: round === 0 ? 'RFM phase 1: means' : 'RFM phase 2: classes',
    purpose: 'analytics',
    asOf: '2026-01-31',
    epsilon: 0.5,
    measures,
    ...(round === 0
      ? {}
      : {
          dimensions: [{ field: 'rfm_class', categories: [...RFM_CLASSES] }],
          params: { rfm: { means } },
        }),
  });

/** Per class: noisy count, then recency, frequency and monetary (cents) sums; `__other__` released as exactly 0. */
const CLASSES: [number, number, number, number][] = [
  [1200, 48_000, 7_200, 36_000_000],
  [850, 51_000, 1_275, 12_750_000],
  [400, 200_000, 2_000, 10_000_000],
  [14, 9_800, 17, 8_066_800], // 14 noisy customers: mean monetary 5,762 > upper 5,000, unreliable
  [600, 27_000, 2_400, 3_600_000],
  [-5, -200, -3, -1_000], // noise took the count below 0: projected to 0, no mean
  [300, 120_000, 900, 2_100_000],
  [2500, 1_625_000, 2_500, 6_250_000],
  [0, 0, 0, 0],
];

function fixture(): JobResult {
  const r0 = query(0);
  const r1 = query(1);
  const col = (i: number) => CLASSES.map((c) => BigInt(c[i] as number));
  const total = CLASSES.reduce((s, c) => s + c[0], 0);
  const v0 = [6_359n, 6_359n, 2_080_800n, 18_292n, 78_766_800n];
  const v1 = [...col(0), BigInt(total), ...col(1), ...col(2), ...col(3)];
  const round = (q: typeof r0, i: number, values: bigint[]) =>
    buildRoundResult({
      jobId: 'j-0123456789abcdef',
      round: i,
      name: q.name,
      layout: layoutOf(q),
      values,
      contributors: ['bank', 'shop', 'telco'],
      epsilonPerNode: 0.5,
      noise: 'on',
      publishedAt: '2026-02-01T10:00:00.000Z',
      dimensions: q.dimensions.map((d) => d.field),
      measures: q.measures,
    });
  return {
    version: 1,
    jobId: 'j-0123456789abcdef',
    name: 'RFM 8-class segmentation (two-phase)',
    kind: 'rfm',
    status: 'published',
    rounds: [round(r0, 0, v0), round(r1, 1, v1)],
    rfmMeans: means,
  };
}

/** The table of a round: its header line (starting with `header`) and the lines up to the first note, total or next round. */
function tablePart(text: string, header: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  const rest = lines.slice(start);
  const end = rest.findIndex((l) => /^( *note:|total rows|-- round|$)/.test(l));
  return rest.slice(0, end).join('\n');
}

describe('job result and simulate print one table', () => {
  const res = fixture();
  const text = resultText(res);

  it('job result: names RFM classes, separators, projected counts, † on unreliable means, footnotes', () => {
    // Frozen from a reviewed run: at epsilon 0.5 over five blocks most means are wider than they are.
    expect(
      text
    ).toBe(`job j-0123456789abcdef "RFM 8-class segmentation (two-phase)" (rfm): published
federated RFM means: recency 368 days, frequency 2.96, monetary 106

RFM phase 1: means (round 0): 3 nodes [bank, shop, telco], epsilon 0.5 per node, noise on
segment       count  mean recency_days  mean frequency  mean monetary
-------  ----------  -----------------  --------------  -------------
all      6,359 ± 48         327 ± 7.94    2.88 ± 0.755     124 ± 37.8
total rows counted: 6,359 ± 48
note: Each of the 3 contributing nodes added discrete Laplace noise to every slot (local DP, pure epsilon); the noise variance is 3 times that of one central release. Intervals are 95% normal approximations of that noise only (not sampling error).
note: A cell whose noisy count at a node fell below that node's minimum cohort k was released as 0 by that node (suppression after noise, so it costs no privacy); small cells can therefore be biased low, and which node suppressed what is not disclosed.

RFM phase 2: classes (round 1): 3 nodes [bank, shop, telco], epsilon 0.5 per node, noise on
rfm_class                      count  mean recency_days  mean frequency     mean monetary
------------------------  ----------  -----------------  --------------  ----------------
R+F+M+ important value    1,200 ± 48          40 ± 40 †        6 ± 4.01         300 ± 200
R+F-M+ important develop    850 ± 48          60 ± 56.6    1.5 ± 5.65 †       150 ± 283 †
R-F+M+ important keep       400 ± 48          500 ± 134        5 ± 12 †       250 ± 601 †
R-F-M+ important retain      14 ± 48      700 ± 4,185 †    1.21 ± 343 †  5,000 ± 26,156 †
R+F+M- general value        600 ± 48        45 ± 80.1 †      4 ± 8.01 †        60 ± 400 †
R+F-M- general develop        0 ± 48                  -               -                 -
R-F+M- general keep         300 ± 48          400 ± 172        3 ± 16 †        70 ± 800 †
R-F-M- general retain     2,500 ± 48         650 ± 22.9      1 ± 1.92 †         25 ± 96 †
total rows counted: 5,859 ± 48
note: 1 cell(s) released as exactly 0 (suppressed at every node, or empty) are not shown.
note: † unreliable: a noisy count under 20, a 95% interval wider than the estimate, or a noisy value outside its possible range; --json gives each reason.
note: Counts and sums that cannot be negative are shown projected to 0 or more, and means clamped into their clipping bounds; --json keeps each released value as "raw".
note: Each of the 3 contributing nodes added discrete Laplace noise to every slot (local DP, pure epsilon); the noise variance is 3 times that of one central release. Intervals are 95% normal approximations of that noise only (not sampling error).
note: A cell whose noisy count at a node fell below that node's minimum cohort k was released as 0 by that node (suppression after noise, so it costs no privacy); small cells can therefore be biased low, and which node suppressed what is not disclosed.
`);
  });

  it('job result names each node the job went on without, its rounds and its reason', () => {
    const reason =
      'POLICY_REFUSED: node tiny holds fewer eligible rows than its minRowsPerJob.train 100';
    const lines = resultText({
      ...res,
      excluded: [
        { node: 'tiny', rounds: [0, 1], reason },
        { node: 'poor', rounds: [1], reason: 'BUDGET_EXCEEDED: spent' },
      ],
    }).split('\n');
    expect(lines.slice(1, 3)).toEqual([
      `excluded: tiny from rounds 0, 1: ${reason}`,
      'excluded: poor from round 1: BUDGET_EXCEEDED: spent',
    ]);
  });

  it('simulate prints the same table for the same result', () => {
    const report = jobReport(res);
    for (const header of ['segment ', 'rfm_class '])
      expect(tablePart(report, header)).toBe(tablePart(text, header));
    expect(tablePart(text, 'rfm_class ')).toContain('R+F+M+ important value');
  });

  it('prints a round without a segment interpretation (train) one row per cell and block', () => {
    const cell = (block: string, estimate: number) => ({
      labels: [],
      block,
      estimate,
      noiseStd: 0,
      ci95: [estimate, estimate] as [number, number],
    });
    const train = {
      ...(res.rounds[0] as JobResult['rounds'][number]),
      interpretation: { phase: 'train' },
      cells: [cell('count', 12345), cell('mean:loss', 0.693147), cell('auc', 0.71234)],
    };
    expect(roundBody(train)).toEqual({
      table: [
        'cell  block      estimate',
        '----  ---------  --------',
        'all   count        12,345',
        'all   mean:loss     0.693',
        'all   auc           0.712',
      ].join('\n'),
      notes: [],
    });
  });

  it('formats the phase-1 means in a round_opened event, not as raw JSON floats', () => {
    const e: JobEvent = {
      seq: 7,
      jobId: 'j-0123456789abcdef',
      at: '2026-02-01T10:00:05.000Z',
      type: 'round_opened',
      round: 1,
      node: null,
      detail: { layoutHash: 'ab', slots: 37, means },
    };
    expect(eventLine(e)).toBe(
      '10:00:05 round 1 round opened: means recency 368, frequency 2.96, monetary 106'
    );
  });
});
