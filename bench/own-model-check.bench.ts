/**
 * The own-model check (docs/models.md §6, §11) on the six data sets of model-datasets.bench.ts,
 * with the same splits, nodes and default spec, at epsilon 1 (distributed Gaussian shares, the
 * training default) and a 20% validation split, which the check needs (the quality bench trains
 * on every row). Per data set and RUNS runs: how often each node's own model (fitted on its own
 * training customers alone) beats the federated model on its own validation customers by more
 * than the margin at 95% confidence (the exact bits, which stay at the nodes), how often at
 * least one node finds so (what the nodes learn), and how often the result warns (the noisy
 * count >= 1) at check epsilon 1, sampled with the real samplers, and at 0.5 and 2, computed
 * from the exact bits and the count's noise law. Beside them, in the same run: the federated
 * model's test AUC and each node's own model's, on the 30% test part.
 * Knobs: OWN_CHECK_RUNS (default 80, about 8 minutes on a shared 2-core machine), SETS.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  auc,
  encodeRow,
  linearScore,
  noisyCountExceedance,
  secaggThreshold,
  MIN_NODES_FLOOR,
  type TrainSpec,
} from '../packages/protocol/src/index.ts';
import { simulateTraining, simulatedJobNoise } from '../packages/node/src/training/simulate.ts';
import {
  fitOwnModel,
  splitValidation,
  type OwnModelComparison,
} from '../packages/node/src/training/own-model-check.ts';
import {
  prepareChurn,
  prepareVendored,
  testAuc,
  type DataSet,
  type Prepared,
} from './model-datasets.bench.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env['OWN_CHECK_RUNS'] ?? 80);
const CHECK_EPSILONS = [0.5, 1, 2];

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const r3 = (x: number): number => Math.round(x * 1e3) / 1e3;

function evaluate(p: Prepared) {
  const t0 = performance.now();
  const spec: TrainSpec = {
    ...p.spec,
    epsilon: 1,
    validation: { fraction: 0.2, seed: 0 },
    ownModelCheck: { epsilon: 1, margin: 0.005 },
  };
  // Each node's own model on the test set: what it would get alone (its 80% training part).
  const ownTest: Record<string, number> = {};
  for (const n of p.nodes) {
    const own = fitOwnModel(spec, splitValidation(spec, n.rows).training);
    ownTest[n.id] = r3(
      auc(
        p.test.map((r) => linearScore(own.weights, encodeRow(own.encoding, r.values))),
        p.test.map((r) => (p.isPositive(r) ? 1 : 0))
      )
    );
  }
  const roundNoise = simulatedJobNoise(spec, 'distributed-gaussian', p.nodes.length);
  const threshold = secaggThreshold(p.nodes.length, MIN_NODES_FLOOR);
  const r = p.nodes.length / threshold;
  const perNode: Record<string, { better: number; own: number[]; fed: number[]; diff: number[] }> =
    Object.fromEntries(p.nodes.map((n) => [n.id, { better: 0, own: [], fed: [], diff: [] }]));
  const fedTest: number[] = [];
  const trueCounts: number[] = [];
  let warned = 0;
  for (let i = 0; i < RUNS; i++) {
    const local: Record<string, OwnModelComparison> = {};
    const model = simulateTraining(spec, p.nodes, {
      noise: true,
      roundNoise,
      onOwnModelCheck: (node, c) => {
        local[node] = c;
      },
    });
    fedTest.push(testAuc(p, model));
    let k = 0;
    for (const [id, c] of Object.entries(local)) {
      const s = perNode[id] as (typeof perNode)[string];
      if (c.better) {
        s.better++;
        k++;
      }
      if (c.notCompared === null) {
        s.own.push(c.ownAuc);
        s.fed.push(c.federatedAuc);
        s.diff.push(c.difference);
      }
    }
    trueCounts.push(k);
    if ((model.training.ownModelCheck?.count ?? 0) >= 1) warned++;
  }
  // The result's warning rate at other check epsilons, from the exact counts: P(k + noise >= 1).
  const expectedWarning = Object.fromEntries(
    CHECK_EPSILONS.map((e) => [
      `eps${e}`,
      r3(trueCounts.reduce((s, k) => s + noisyCountExceedance(r, Math.exp(-e), 1 - k), 0) / RUNS),
    ])
  );
  const line = `  ${p.name}: some node better in ${trueCounts.filter((k) => k > 0).length}/${RUNS} runs, result warned in ${warned}/${RUNS}; federated test AUC ${median(fedTest).toFixed(3)}, best own ${Math.max(...Object.values(ownTest)).toFixed(3)}\n`;
  process.stderr.write(line);
  return {
    nodes: Object.fromEntries(p.nodes.map((n) => [n.id, n.rows.length])),
    federatedTestAuc: { median: r3(median(fedTest)), min: r3(Math.min(...fedTest)) },
    ownModelTestAuc: ownTest,
    bestOwnModelTestAuc: Math.max(...Object.values(ownTest)),
    nodeOwnModelBetterRate: Object.fromEntries(
      Object.entries(perNode).map(([id, s]) => [id, r3(s.better / RUNS)])
    ),
    validationAuc: Object.fromEntries(
      Object.entries(perNode).map(([id, s]) => [
        id,
        { own: r3(median(s.own)), federated: r3(median(s.fed)), difference: r3(median(s.diff)) },
      ])
    ),
    someNodeBetterRate: r3(trueCounts.filter((k) => k > 0).length / RUNS),
    resultWarningRate: { sampledEps1: r3(warned / RUNS), expected: expectedWarning },
    falseAlarmIfNoNodeBetter: Object.fromEntries(
      CHECK_EPSILONS.map((e) => [`eps${e}`, r3(noisyCountExceedance(r, Math.exp(-e)))])
    ),
    seconds: r3((performance.now() - t0) / 1000),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const sets = JSON.parse(readFileSync(join(here, 'data', 'datasets.json'), 'utf8')) as DataSet[];
  const only = process.env['SETS']?.split(',');
  const prepared = [
    ...(only && !only.includes('wa_churn') ? [] : [prepareChurn()]),
    ...sets.filter((d) => !only || only.includes(d.name)).map(prepareVendored),
  ];
  const results: Record<string, ReturnType<typeof evaluate>> = {};
  for (const p of prepared) results[p.name] = evaluate(p);
  return {
    runs: RUNS,
    trainingEpsilon: 1,
    mechanism: 'distributed-gaussian',
    validation: { fraction: 0.2, seed: 0 },
    ownModelCheck: { epsilon: 1, margin: 0.005, confidence: 'one-sided 95% (DeLong)' },
    spec: 'the TrainSpecSchema defaults and the declared bounds of datasets.json, as model-datasets.bench.ts',
    results,
  };
}
