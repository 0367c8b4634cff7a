import { describe, expect, it } from 'vitest';
import {
  TrainSpecSchema,
  ownModelCheckLine,
  sigmoid,
  type TrainSpecInput,
} from '@fedmark/protocol';
import type { TrainingRow } from './gradient-release.ts';
import { ownModelComparison, type OwnModelComparison } from './own-model-check.ts';
import { simulateTraining, type SimNode } from './simulate.ts';

/**
 * The own-model check (docs/models.md §6): after training, each node fits a model on its own
 * training customers alone and compares it with the federated model on its own validation
 * customers. Federations built so that the answer is known by construction: a node whose
 * customers behave the opposite way from everyone else's, and small nodes that share one
 * relationship and gain from each other's data.
 */

/** Deterministic uniform [0, 1) (mulberry32; tests only). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `n` customers with x1..x6 uniform on [0, 10] and P(buy) = sigmoid(b1 (x1 - 5) + b2 (x2 - 5)):
 * x3..x6 carry no signal.
 */
function customers(id: string, n: number, b: [number, number], seed: number): SimNode {
  const u = rng(seed);
  const rows: TrainingRow[] = Array.from({ length: n }, (_, i) => {
    const x = Array.from({ length: 6 }, () => u() * 10);
    const p = sigmoid(b[0] * ((x[0] as number) - 5) + b[1] * ((x[1] as number) - 5));
    const values: Record<string, string> = { buy: u() < p ? 'yes' : 'no' };
    x.forEach((v, j) => {
      values[`x${j + 1}`] = v.toFixed(3);
    });
    return { customerId: `${id}-${i}`, values };
  });
  return { id, rows };
}

const numeric = (column: string) => ({ type: 'numeric' as const, column, lower: 0, upper: 10 });

const SPEC: TrainSpecInput = {
  version: 1,
  kind: 'train',
  purpose: 'model_training',
  table: 'customers',
  label: { column: 'buy', positive: 'yes' },
  features: [numeric('x1'), numeric('x2')],
  epsilon: 1,
  validation: { fraction: 0.2, seed: 5 },
  ownModelCheck: { epsilon: 1 },
};

/** Trains without noise (test-only exactness) and collects every node's local comparison. */
function train(spec: TrainSpecInput, nodes: SimNode[]) {
  const local: Record<string, OwnModelComparison> = {};
  const model = simulateTraining(TrainSpecSchema.parse(spec), nodes, {
    noise: false,
    onOwnModelCheck: (node, c) => {
      local[node] = c;
    },
  });
  return { model, local };
}

describe('own-model check', () => {
  it('warns in the result when a node whose customers behave differently does better with its own model, and records that at the node', () => {
    // Node "shifted" buys more as x1 grows; the two larger nodes buy less: the federated model
    // follows the majority and ranks shifted's customers backwards.
    const nodes = [
      customers('shifted', 1500, [1.2, 0], 1),
      customers('north', 2000, [-1.2, 0.3], 2),
      customers('south', 2000, [-1.2, 0.3], 3),
    ];
    const { model, local } = train(SPEC, nodes);
    const shifted = local['shifted'] as OwnModelComparison;
    expect(shifted.better).toBe(true);
    expect(shifted.ownAuc - shifted.federatedAuc).toBeGreaterThan(0.3);
    expect(local['north']?.better).toBe(false);
    expect(local['south']?.better).toBe(false);
    expect(model.training.ownModelCheck).toMatchObject({ nodes: 3, count: 1, noiseStd: 0 });
    const line = ownModelCheckLine(model);
    expect(line).toMatch(/^warning: 1 of 3 nodes report that their own model/);
  });

  it('gives no warning when the federated model is the better one for every node', () => {
    // Three small nodes, one relationship, four columns of pure noise: each own model fits the
    // noise of its 120 training customers, the federated one averages it out over all of them.
    const nodes = [0, 1, 2].map((i) => customers(`small${i}`, 150, [0.5, -0.3], 10 + i));
    const spec = { ...SPEC, features: ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'].map(numeric) };
    const { model, local } = train(spec, nodes);
    const cs = Object.values(local);
    expect(cs).toHaveLength(3);
    for (const c of cs) {
      expect(c.better).toBe(false);
      expect(c.difference - 1.645 * c.differenceSe).toBeLessThanOrEqual(c.margin);
    }
    expect(cs.reduce((s, c) => s + c.difference, 0)).toBeLessThan(0);
    expect(model.training.ownModelCheck).toMatchObject({ nodes: 3, count: 0 });
    const line = ownModelCheckLine(model);
    expect(line).toMatch(/^own-model check: 0 of 3 nodes/);
    expect(line).not.toMatch(/warning/);
  });

  it('says so when the comparison was not made', () => {
    const { ownModelCheck: _c, ...without } = SPEC;
    const nodes = [0, 1, 2].map((i) => customers(`n${i}`, 150, [0.6, -0.4], 20 + i));
    const { model, local } = train(without, nodes);
    expect(local).toEqual({});
    expect(model.training.ownModelCheck).toBeUndefined();
    expect(ownModelCheckLine(model)).toMatch(/^note: not compared with the nodes' own models/);
  });

  it('compares the exact AUC of both models on the validation customers only', () => {
    const node = customers('solo', 600, [1, 0.5], 30);
    const spec = TrainSpecSchema.parse(SPEC);
    const model = simulateTraining(spec, [node, customers('b', 300, [1, 0.5], 31)], {
      noise: false,
    });
    const c = ownModelComparison(spec, model, node.rows);
    expect(c.trainingRows + c.validationPositives + c.validationNegatives).toBe(600);
    expect(c.validationPositives + c.validationNegatives).toBeGreaterThan(80);
    expect(c.validationPositives + c.validationNegatives).toBeLessThan(160);
    expect(c.difference).toBeCloseTo(c.ownAuc - c.federatedAuc, 12);
  });
});
