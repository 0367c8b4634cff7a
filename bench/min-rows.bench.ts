/**
 * The figures behind the default `minRowsPerJob.train` of 100 (docs/models.md §9 "Too few rows"),
 * in one run, on the synthetic churn tables `fedmark node synth` writes (retail, bank and telecom
 * profiles, seeds `min-rows-0..2`, and a bank-profile node of 13 rows, seed `min-rows-tiny`),
 * fitted with the `train` job template (6 rounds, epsilon 1, clipNorm 1):
 * - the standard deviation of one node's noise share per gradient coordinate (default Gaussian
 *   shares sized for threshold 3: gaussianShareVariance on the round layout);
 * - the mean per-row gradient at the starting model, per coordinate, in clip norms (no noise), on
 *   the three nodes' training rows: what one row adds to a node's signal;
 * - held-out AUC (the customers at positions 0 to 2 of every ten of each node), median, min and
 *   max over RUNS in-process trainings with noise, of the three nodes alone against the same
 *   three plus the 13-row node (the threshold is 3 for both: 3 and 4 participants), with 300 and
 *   100 training rows per node under the Gaussian default, and 300 under local Laplace.
 * Not a tuning set: the default was chosen from the first two figures; the AUC rows show what a
 * tiny node costs the others.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JobSpecSchema,
  auc,
  findBlock,
  fractionValue,
  gaussianShareVariance,
  roundLayout,
  scoreRow,
  startingModel,
  trainNoiseLayout,
  unitNoiseOf,
  type Mechanism,
  type TrainSpec,
} from '../packages/protocol/src/index.ts';
import { checkedTemplate } from '../packages/coordinator/src/jobs/templates.ts';
import { generateSynthetic } from '../packages/node/src/synth/index.ts';
import {
  simulateStandardisation,
  simulateTraining,
  simulatedJobNoise,
  type SimNode,
} from '../packages/node/src/training/simulate.ts';
import { localRoundVector, type TrainingRow } from '../packages/node/src/training/index.ts';

const RUNS = Number(process.env['MIN_ROWS_RUNS'] ?? 60);
const TINY = 13;
const PROFILES = ['retail', 'bank', 'telecom'] as const;

function templateSpec(): TrainSpec {
  const spec = JobSpecSchema.parse(checkedTemplate('train'));
  if (spec.kind !== 'train') throw new Error('the train template must be a train job');
  return spec.train;
}

async function synthRows(
  root: string,
  spec: TrainSpec,
  profile: (typeof PROFILES)[number],
  seed: string,
  customers: number
): Promise<TrainingRow[]> {
  const numeric = new Set(spec.features.flatMap((f) => (f.type === 'numeric' ? [f.column] : [])));
  const r = await generateSynthetic({ dir: join(root, seed), profile, seed, customers });
  const [head, ...body] = readFileSync(r.files.churn, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
  return body.map((cells) => {
    const values: Record<string, string | number> = {};
    for (const [i, h] of (head as string[]).entries())
      values[h] = numeric.has(h) ? Number(cells[i]) : (cells[i] as string);
    return { customerId: cells[0] as string, values };
  });
}

const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number | undefined) => Math.round((x ?? Number.NaN) * 10_000) / 10_000;
  return { median: r(s[Math.floor(s.length / 2)]), min: r(s[0]), max: r(s.at(-1)) };
};

export async function run(): Promise<Record<string, unknown>> {
  const spec = templateSpec();
  const root = mkdtempSync(join(tmpdir(), 'bench-min-rows-'));
  try {
    const tinyRows = (await synthRows(root, spec, 'bank', 'min-rows-tiny', TINY * 2)).slice(
      0,
      TINY
    );
    const tiny: SimNode = { id: 'tiny', rows: tinyRows };
    const setups: Record<string, unknown>[] = [];
    let signal: Record<string, unknown> | undefined;
    for (const [perNode, mechanism] of [
      [300, 'distributed-gaussian'],
      [100, 'distributed-gaussian'],
      [300, 'local-laplace'],
    ] as [number, Mechanism][]) {
      const all = await Promise.all(
        PROFILES.map((p, i) =>
          synthRows(root, spec, p, `min-rows-${i}-${perNode}`, Math.round(perNode / 0.7))
        )
      );
      const nodes: SimNode[] = all.map((rows, i) => ({
        id: PROFILES[i] as string,
        rows: rows.filter((_, j) => j % 10 >= 3),
      }));
      const test = all.flatMap((rows) => rows.filter((_, j) => j % 10 < 3));
      const labels = test.map((r) => (r.values[spec.label.column] === spec.label.positive ? 1 : 0));
      if (!signal) {
        // One row's mean gradient per coordinate at the starting model, and one share's noise.
        const std = simulateStandardisation(spec, nodes, { noise: false });
        const model = startingModel(spec, std, { nodes: [], noise: false });
        const v = localRoundVector(
          spec,
          model,
          nodes.flatMap((n) => n.rows)
        );
        const g = findBlock(v.layout, 'gradient');
        if (!g) throw new Error('no gradient block');
        const scale = Math.floor(65536 / spec.clipNorm);
        const perRow = v.values
          .slice(g.offset, g.offset + g.length)
          .map((x) => Math.abs(Number(x)) / scale / v.trainingRows)
          .sort((a, b) => a - b);
        const noise = unitNoiseOf(
          { mechanism: 'distributed-gaussian', delta: 1e-7 },
          spec.epsilon,
          3
        );
        if (noise.mechanism !== 'distributed-gaussian') throw new Error('expected Gaussian');
        const block = trainNoiseLayout(roundLayout(spec, model.encoding, 0)).blocks.find(
          (b) => b.name === 'gradient'
        );
        const s2 = block ? gaussianShareVariance(block, noise) : null;
        const shareStd = s2 ? Math.sqrt(fractionValue(s2)) / scale : Number.NaN;
        signal = {
          trainingRows: v.trainingRows,
          perRowGradientMedian: summary(perRow).median,
          perRowGradientMax: summary(perRow).max,
          shareStdPerCoordinate: Math.round(shareStd * 100) / 100,
          rowsToMatchNoiseLargest: Math.round(shareStd / (perRow.at(-1) as number)),
          rowsToMatchNoiseMedian: Math.round(
            shareStd / (perRow[Math.floor(perRow.length / 2)] as number)
          ),
        };
      }
      const aucs = (fed: SimNode[]) => {
        const roundNoise = simulatedJobNoise(spec, mechanism, fed.length);
        return summary(
          Array.from({ length: RUNS }, () => {
            const m = simulateTraining(spec, fed, { noise: true, roundNoise });
            return auc(
              test.map((r) => scoreRow(m, r.values)),
              labels
            );
          })
        );
      };
      setups.push({
        mechanism,
        trainingRowsPerNode: nodes.map((n) => n.rows.length),
        runs: RUNS,
        threeNodes: aucs(nodes),
        withTinyNode: aucs([...nodes, tiny]),
      });
    }
    return { template: 'train', tinyRows: TINY, signal, setups };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
