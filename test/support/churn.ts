import { readFileSync } from 'node:fs';
import {
  auc,
  canonicalHash,
  encodeRow,
  linearScore,
  modelVector,
  type Model,
  type TrainSpecInput,
} from '@fedmark/protocol';
import type { TrainingRow } from '../../packages/node/src/training/index.ts';
import { testDataFile } from './cdnow.ts';

/**
 * The IBM telco churn table (test/data/wa_churn.csv) as the model test and the model-quality
 * benchmark use it: one reader, one feature spec, one split, so their figures are comparable.
 */
export const CHURN_PAYMENT = [
  'Electronic check',
  'Mailed check',
  'Bank transfer (automatic)',
  'Credit card (automatic)',
];
const BINARY = [
  'female',
  'senior_citizen',
  'partner',
  'dependents',
  'phone_service',
  'paperless_billing',
];
const SERVICES = [
  'online_security',
  'online_backup',
  'device_protection',
  'tech_support',
  'streaming_tv',
  'streaming_movies',
];

/**
 * Rows of wa_churn.csv, without the 11 that lack total_charges (as the README reference did).
 * The file has no quoted commas or escaped quotes; anything else is refused, not guessed.
 */
export function loadChurn(): { head: string[]; rows: Record<string, string>[] } {
  const path = testDataFile('wa_churn.csv');
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const split = (l: string, n: number): string[] => {
    if (l.includes('""'))
      throw new Error(`${path}:${n}: escaped quotes are not supported by this reader`);
    return l.split(',').map((c) => c.replace(/^"(.*)"$/, '$1'));
  };
  const head = split(lines[0] as string, 1);
  const rows = lines.slice(1).map((l, i) => {
    const cells = split(l, i + 2);
    if (cells.length !== head.length)
      throw new Error(`${path}:${i + 2}: expected ${head.length} cells, got ${cells.length}`);
    return Object.fromEntries(head.map((h, j) => [h, cells[j] as string]));
  });
  return {
    head,
    rows: rows.filter((r) => r['total_charges'] !== 'NA' && r['total_charges'] !== ''),
  };
}

/** The churn propensity spec: every column with declared bounds or categories. */
export function churnTrainSpec(over: Partial<TrainSpecInput> = {}): TrainSpecInput {
  return {
    version: 1,
    kind: 'train',
    name: 'churn propensity',
    purpose: 'model_training',
    table: 'churn',
    label: { column: 'churn', positive: 'Yes' },
    features: [
      ...BINARY.map((c) => ({ type: 'numeric' as const, column: c, lower: 0, upper: 1 })),
      { type: 'numeric', column: 'tenure', lower: 0, upper: 72 },
      { type: 'numeric', column: 'monthly_charges', lower: 18, upper: 120 },
      { type: 'numeric', column: 'total_charges', lower: 0, upper: 9000 },
      {
        type: 'categorical',
        column: 'multiple_lines',
        categories: ['No', 'Yes', 'No phone service'],
      },
      { type: 'categorical', column: 'internet_service', categories: ['DSL', 'Fiber optic', 'No'] },
      ...SERVICES.map((c) => ({
        type: 'categorical' as const,
        column: c,
        categories: ['No', 'Yes', 'No internet service'],
      })),
      {
        type: 'categorical',
        column: 'contract',
        categories: ['Month-to-month', 'One year', 'Two year'],
      },
      { type: 'categorical', column: 'payment_method', categories: CHURN_PAYMENT },
    ],
    rounds: 4,
    optimiser: { kind: 'gd', learningRate: 4, momentum: 0.5 },
    clipNorm: 1,
    l2: 1,
    epsilon: 1,
    minNodes: 3,
    validation: { fraction: 0, seed: 0 },
    ...over,
  };
}

/**
 * Split stratified on a binary label by a seeded hash order (deterministic; no non-cryptographic
 * RNG): positives first, then negatives, `testFraction` of each held out. The model benches use
 * it for every data set, so their splits are made alike.
 */
export function stratifiedSplit(
  rows: Record<string, string>[],
  isPositive: (r: Record<string, string>) => boolean,
  testFraction = 0.3,
  seed = 0
): { train: TrainingRow[]; test: TrainingRow[] } {
  const train: TrainingRow[] = [];
  const test: TrainingRow[] = [];
  for (const want of [true, false]) {
    const group = rows
      .map((r, i) => ({ r, i, k: canonicalHash('bench-split', { seed, i }) }))
      .filter((e) => isPositive(e.r) === want)
      .sort((a, b) => (a.k < b.k ? -1 : 1));
    const nTest = Math.round(group.length * testFraction);
    group.forEach((e, j) => {
      (j < nTest ? test : train).push({
        customerId: `c${String(e.i).padStart(5, '0')}`,
        values: e.r,
      });
    });
  }
  return { train, test };
}

/** The churn split (stratified on churn = Yes). */
export function stratifiedChurnSplit(
  rows: Record<string, string>[],
  testFraction = 0.3,
  seed = 0
): { train: TrainingRow[]; test: TrainingRow[] } {
  return stratifiedSplit(rows, (r) => r['churn'] === 'Yes', testFraction, seed);
}

/** Test AUC of a model on held-out rows whose label `isPositive` reads. */
export function heldOutAuc(
  model: Model,
  test: readonly TrainingRow[],
  isPositive: (r: TrainingRow) => boolean
): number {
  const w = modelVector(model);
  return auc(
    test.map((r) => linearScore(w, encodeRow(model.encoding, r.values))),
    test.map((r) => (isPositive(r) ? 1 : 0))
  );
}

/** Test AUC of a model on held-out churn rows. */
export function churnTestAuc(model: Model, test: readonly TrainingRow[]): number {
  return heldOutAuc(model, test, (r) => r.values['churn'] === 'Yes');
}
