/**
 * Federated propensity models on data nobody tuned them on (docs/models.md "Quality on other data
 * sets"): the five public customer/credit data sets of bench/data (datasets.json: label, node
 * split, declared bounds and categories) and wa_churn, each split 70/30 stratified on the label by
 * a seeded hash order, the training part split across 3-6 nodes by the data set's natural column.
 * In-process federation (the nodes' integer vectors summed as BFV would, exactly), with the
 * documented default spec (the schema's defaults: diagonal, 6 rounds, learning rate 4, diagonal
 * rate 0.75, momentum 0.5, clipNorm 1, l2 1) and the declared bounds as a user would write them. Reported per data set: pooled logistic regression
 * (exact standardisation, the reference), each node alone, fedmark without noise, and with DP at
 * epsilon 0.5, 1, 2 per node (median and min of RUNS runs) for distributed Gaussian shares (the
 * training default) and local Laplace (every node adds full noise, the pre-distributed default).
 * Only wa_churn and South German credit were used to choose the defaults. Also writes
 * bench/results/model-datasets.svg (model-datasets-chart.ts). Knobs: MODEL_RUNS (default 20), EPS, SETS.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import {
  auc,
  encodeRow,
  encodingOf,
  linearScore,
  TrainSpecSchema,
  type Mechanism,
  type Model,
  type TrainSpec,
} from '../packages/protocol/src/index.ts';
import {
  simulateStandardisation,
  simulateTraining,
  simulatedJobNoise,
  type SimNode,
} from '../packages/node/src/training/simulate.ts';
import { fitPooledLogistic } from '../packages/node/src/training/reference.ts';
import type { TrainingRow } from '../packages/node/src/training/index.ts';
import {
  CHURN_PAYMENT,
  churnTrainSpec,
  heldOutAuc,
  loadChurn,
  stratifiedChurnSplit,
  stratifiedSplit,
} from '../test/support/churn.ts';
import { datasetsChartSvg, type ChartResult } from './model-datasets-chart.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env['MODEL_RUNS'] ?? 20);
const EPSILONS = (process.env['EPS'] ?? '0.5,1,2').split(',').map(Number);
const MECHANISMS: Mechanism[] = ['distributed-gaussian', 'local-laplace'];

export interface DataSet {
  name: string;
  file: string;
  label: { column: string; positive: string };
  nodeColumn: string;
  nodeGroups: Record<string, string[]>;
  numeric: string[];
  bounds: Record<string, [number, number]>;
  categorical: Record<string, string[]>;
}

export interface Prepared {
  name: string;
  spec: TrainSpec;
  isPositive: (r: TrainingRow) => boolean;
  train: TrainingRow[];
  test: TrainingRow[];
  nodes: SimNode[];
}

/** A training spec names columns with letters, digits, _ and - only: `a.b` is read as `a_b`. */
const col = (name: string): string => name.replace(/[^A-Za-z0-9_-]/g, '_');

export function prepareVendored(raw: DataSet): Prepared {
  const d: DataSet = {
    ...raw,
    label: { ...raw.label, column: col(raw.label.column) },
    nodeColumn: col(raw.nodeColumn),
    numeric: raw.numeric.map(col),
    bounds: Object.fromEntries(Object.entries(raw.bounds).map(([k, v]) => [col(k), v])),
    categorical: Object.fromEntries(Object.entries(raw.categorical).map(([k, v]) => [col(k), v])),
  };
  const text = readFileSync(join(here, 'data', d.file), 'utf8');
  const rows = parse(text, {
    columns: (header: string[]) => header.map(col),
    skip_empty_lines: true,
  }) as Record<string, string>[];
  const positive = (r: Record<string, string>) => r[d.label.column] === d.label.positive;
  const { train, test } = stratifiedSplit(rows, positive);
  const spec = TrainSpecSchema.parse({
    version: 1,
    kind: 'train',
    name: d.name,
    purpose: 'model_training',
    table: d.name,
    label: d.label,
    features: [
      ...d.numeric.map((column) => ({
        type: 'numeric',
        column,
        lower: d.bounds[column]?.[0],
        upper: d.bounds[column]?.[1],
      })),
      ...Object.entries(d.categorical).map(([column, categories]) => ({
        type: 'categorical',
        column,
        categories,
      })),
    ],
    // Everything else as the schema's defaults: the documented recommended settings.
    epsilon: 1,
    validation: { fraction: 0, seed: 0 },
  });
  const nodes = Object.entries(d.nodeGroups).map(([id, values]) => ({
    id,
    rows: train.filter((r) => values.includes(String(r.values[d.nodeColumn]))),
  }));
  return {
    name: d.name,
    spec,
    isPositive: (r) => r.values[d.label.column] === d.label.positive,
    train,
    test,
    nodes,
  };
}

/** The spec without its optimiser settings, so the schema's defaults (the recommended ones) apply. */
function withDefaults(spec: Record<string, unknown>): Record<string, unknown> {
  const { rounds: _r, optimiser: _o, clipNorm: _c, ...rest } = spec;
  return rest;
}

export function prepareChurn(): Prepared {
  const rows = loadChurn().rows;
  const { train, test } = stratifiedChurnSplit(rows);
  return {
    name: 'wa_churn',
    spec: TrainSpecSchema.parse(
      withDefaults(churnTrainSpec({ name: 'wa_churn', table: 'wa_churn' }))
    ),
    isPositive: (r) => r.values['churn'] === 'Yes',
    train,
    test,
    nodes: CHURN_PAYMENT.map((pm) => ({
      id: pm,
      rows: train.filter((r) => r.values['payment_method'] === pm),
    })),
  };
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

export function testAuc(p: Prepared, model: Model): number {
  return heldOutAuc(model, p.test, p.isPositive);
}

/** Plain logistic regression (exact standardisation from `rows`) evaluated on the test rows. */
function referenceAuc(p: Prepared, rows: readonly TrainingRow[]): number {
  const enc = encodingOf(
    p.spec,
    simulateStandardisation(p.spec, [{ id: 'all', rows }], { noise: false })
  );
  const w = fitPooledLogistic(
    rows.map((r) => encodeRow(enc, r.values)),
    rows.map((r) => (p.isPositive(r) ? 1 : 0)),
    1
  );
  return auc(
    p.test.map((r) => linearScore(w, encodeRow(enc, r.values))),
    p.test.map((r) => (p.isPositive(r) ? 1 : 0))
  );
}

function evaluate(p: Prepared) {
  const t0 = performance.now();
  const pooled = referenceAuc(p, p.train);
  const alone = Object.fromEntries(p.nodes.map((n) => [n.id, r4(referenceAuc(p, n.rows))]));
  const noiseFree = testAuc(p, simulateTraining(p.spec, p.nodes, { noise: false }));
  const dp: Record<string, Record<string, unknown>> = {};
  for (const mechanism of MECHANISMS) {
    dp[mechanism] = {};
    for (const epsilon of EPSILONS) {
      const spec = { ...p.spec, epsilon };
      const roundNoise = simulatedJobNoise(spec, mechanism, p.nodes.length);
      const aucs: number[] = [];
      for (let i = 0; i < RUNS; i++)
        aucs.push(testAuc(p, simulateTraining(spec, p.nodes, { noise: true, roundNoise })));
      (dp[mechanism] as Record<string, unknown>)[`eps${epsilon}`] = {
        median: r4(median(aucs)),
        min: r4(Math.min(...aucs)),
        belowPooledBy: r4(pooled - median(aucs)),
      };
      process.stderr.write(
        `  ${p.name} ${mechanism} eps ${epsilon}: median ${median(aucs).toFixed(4)} min ${Math.min(...aucs).toFixed(4)} (pooled ${pooled.toFixed(4)})\n`
      );
    }
  }
  return {
    rows: { train: p.train.length, test: p.test.length },
    nodes: Object.fromEntries(p.nodes.map((n) => [n.id, n.rows.length])),
    features: p.spec.features.length,
    pooledTestAuc: r4(pooled),
    bestNodeAloneTestAuc: Math.max(...Object.values(alone)),
    nodeAloneTestAuc: alone,
    noiseFreeTestAuc: r4(noiseFree),
    dp,
    seconds: r4((performance.now() - t0) / 1000),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const sets = JSON.parse(readFileSync(join(here, 'data', 'datasets.json'), 'utf8')) as DataSet[];
  const only = process.env['SETS']?.split(',');
  const prepared = [
    prepareChurn(),
    ...sets.filter((d) => !only || only.includes(d.name)).map(prepareVendored),
  ];
  const results: Record<string, ReturnType<typeof evaluate>> = {};
  for (const p of prepared) results[p.name] = evaluate(p);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'model-datasets.svg'),
    datasetsChartSvg(results as unknown as Record<string, ChartResult>, EPSILONS)
  );
  return {
    runs: RUNS,
    epsilons: EPSILONS,
    spec: 'the TrainSpecSchema defaults (diagonal, 6 rounds, learning rate 4, diagonal rate 0.75, momentum 0.5, clipNorm 1, l2 1) and the declared bounds of datasets.json',
    tunedOn: ['wa_churn', 'south_german_credit'],
    results,
  };
}
