/**
 * Internal test helper: the small churn model the coordinator's train tests run (3 nodes,
 * gradient descent with momentum, 20% validation), as the wire input a job spec carries.
 */

/** The train spec input: `tenure` always, the `contract` category when asked (a 2-feature encoding). */
export function churnTrainInput(o: { rounds: number; contract: boolean }) {
  const tenure = { type: 'numeric', column: 'tenure', lower: 0, upper: 72 };
  const contract = { type: 'categorical', column: 'contract', categories: ['Monthly', 'Yearly'] };
  return {
    version: 1,
    kind: 'train',
    name: 'churn',
    purpose: 'model_training',
    table: 'churn',
    label: { column: 'churn', positive: 'Yes' },
    features: o.contract ? [tenure, contract] : [tenure],
    rounds: o.rounds,
    optimiser: { kind: 'gd', learningRate: 4, momentum: 0.5 },
    clipNorm: 1,
    epsilon: 1,
    minNodes: 3,
    validation: { fraction: 0.2, seed: 1 },
  };
}

/** The POST /v1/jobs body for a train job over 3 nodes that never waits for stragglers. */
export function trainJobSpec(name: string, train: ReturnType<typeof churnTrainInput>) {
  return { version: 1, kind: 'train', name, minNodes: 3, stragglerWaitMs: 0, train };
}
