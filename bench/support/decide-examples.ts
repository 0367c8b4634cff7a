/**
 * Writes the example files of docs/decide.md into docs/examples/: a churn model over the synth
 * feature table `churn` (hand-set weights: an example, not a trained model) and a published
 * channel x hour-of-week result in the shape `fedmark job result --json` prints (rates from a
 * formula: evenings and weekends respond better, sms best at midday; invented for the example).
 * Run: node --import tsx bench/support/decide-examples.ts
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initialModel, modelToJson, withVector } from '../../packages/protocol/src/index.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'examples');

const base = initialModel({
  name: 'churn (example weights)',
  label: { column: 'churn', positive: 'Yes' },
  encoding: [
    { type: 'numeric', column: 'recency_days', lower: 0, upper: 730, mean: 150, std: 150 },
    { type: 'numeric', column: 'visits_90d', lower: 0, upper: 50, mean: 3, std: 4 },
    { type: 'numeric', column: 'purchases', lower: 0, upper: 100, mean: 6, std: 6 },
  ],
  optimiser: 'example',
  roundsPlanned: 0,
  epsilonPerNode: 0,
  noise: false,
  nodes: [],
});
writeFileSync(
  join(out, 'churn-model.json'),
  modelToJson(withVector(base, [-0.5, 1.2, -0.8, -0.5]))
);

const BASE: Record<string, number> = { email: 0.031, sms: 0.048, app: 0.04 };
const edges = Array.from({ length: 55 }, (_, i) => 3 * (i + 1)); // 3, 6, ..., 165
const labels = ['<3', ...edges.slice(0, -1).map((e, i) => `[${e},${edges[i + 1]})`), '>=165'];
const cells: Record<string, unknown>[] = [];
for (const [channel, rate] of Object.entries(BASE)) {
  labels.forEach((label, i) => {
    const hour = (3 * i) % 24; // UTC start hour of the 3-hour bin
    const weekend = i >= 40; // Saturday and Sunday
    const evening = hour >= 15 && hour < 21;
    const midday = hour >= 9 && hour < 15;
    const night = hour < 6;
    let r = rate * (evening ? 1.5 : 1) * (weekend ? 1.2 : 1) * (night ? 0.4 : 1);
    if (channel === 'sms' && midday) r *= 1.4;
    const estimate = Math.round(r * 10_000) / 10_000;
    cells.push({
      labels: [channel, label],
      block: 'mean:responded',
      estimate,
      noiseStd: 0.002,
      ci95: [Math.max(0, estimate - 0.004), estimate + 0.004],
      raw: estimate,
      unreliable: false,
      reason: null,
    });
  });
}
const round = {
  version: 1,
  jobId: 'j-example-channel-hour',
  round: 0,
  name: 'response rate by channel x hour of week',
  layoutHash: '0'.repeat(64),
  contributingNodes: ['bank-a', 'retail-b', 'telco-c'],
  epsilonPerNode: 1,
  noise: 'on',
  values: [],
  noiseVariance: [],
  cells,
  interpretation: { dimensions: ['channel', 'hour_of_week'] },
  notes: ['example figures (docs/decide.md): not from a real federation'],
  publishedAt: '2025-12-01T00:00:00.000Z',
};
writeFileSync(
  join(out, 'channel-hour-rates.json'),
  `${JSON.stringify({ version: 1, jobId: round.jobId, name: round.name, kind: 'segment_stats', status: 'published', rounds: [round] }, null, 1)}\n`
);
