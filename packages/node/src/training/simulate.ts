import {
  applyUpdate,
  startingModel,
  layoutOf,
  SegmentQuerySchema,
  standardisationFromAggregate,
  standardisationFromResult,
  standardisationQuery,
  trainEpsilonPlan,
  DEFAULT_DELTA,
  MIN_NODES_FLOOR,
  secaggThreshold,
  unitNoiseOf,
  type Mechanism,
  type Model,
  type RoundNoise,
  type Standardisation,
  type TrainSpec,
} from '@fedmark/protocol';
import { computeSegmentVector, memoryUnitSource, type TableRow } from '../analytics/index.ts';
import { addNoise } from '../privacy/noise.ts';
import { localGradientRelease, type TrainingRow } from './gradient-release.ts';
import { localStandardisationRelease } from './standardisation-release.ts';

/**
 * In-process federation for tests and benchmarks: every node's release is computed exactly as a
 * node would, and the aggregation is the slot-wise integer sum that BFV computes exactly under
 * encryption (docs/architecture.md §4), so the figures are those of the real protocol minus the
 * transport.
 */

export interface SimNode {
  id: string;
  rows: readonly TrainingRow[];
}

export interface SimOptions {
  noise: boolean;
  /**
   * How the nodes noise (protocol RoundNoise; default local Laplace). For the product's default,
   * `simulatedJobNoise(spec, 'distributed-gaussian', nodes.length)`.
   */
  roundNoise?: RoundNoise;
  /** Reference date of the standardisation query. */
  asOf?: string;
  /**
   * Phase 1 route: the dedicated centred layout (default, standardisation.ts) or the generic
   * segment-statistics query (`standardisationQuery`), kept for comparison.
   */
  standardisation?: 'layout' | 'segment-query';
  /** Called after each round with the updated model. */
  onRound?: (model: Model) => void;
}

function noiseOpts(o: SimOptions): { noise: boolean; roundNoise?: RoundNoise } {
  return o.roundNoise === undefined
    ? { noise: o.noise }
    : { noise: o.noise, roundNoise: o.roundNoise };
}

/**
 * The noise a train job with `mechanism` adds at `nodes` participants (shares sized for the
 * secure-aggregation threshold, as a real round: protocol unitNoiseOf, secaggThreshold).
 */
export function simulatedJobNoise(
  spec: TrainSpec,
  mechanism: Mechanism,
  nodes: number,
  delta = DEFAULT_DELTA
): RoundNoise {
  return unitNoiseOf({ mechanism, delta }, spec.epsilon, secaggThreshold(nodes, MIN_NODES_FLOOR));
}

/** Phase 1 via the segment-statistics primitive (computeSegmentVector + addNoise). */
export function simulateStandardisationQuery(
  spec: TrainSpec,
  nodes: readonly SimNode[],
  opts: SimOptions
): Standardisation {
  const plan = trainEpsilonPlan(spec);
  const q = SegmentQuerySchema.parse(
    standardisationQuery(spec, {
      asOf: opts.asOf ?? '2030-01-01',
      epsilon: plan.standardisationMicro / 1e6,
    })
  );
  const layout = layoutOf(q);
  const sum = new Array<bigint>(layout.length).fill(0n);
  for (const node of nodes) {
    const table: TableRow[] = node.rows.map((r) => ({
      customerId: r.customerId,
      values: { ...r.values } as TableRow['values'],
    }));
    const source = memoryUnitSource({
      customers: node.rows.map((r) => ({ customerId: r.customerId })),
      tables: { [spec.table]: table },
    });
    const vec = computeSegmentVector(q, source);
    const released = opts.noise ? addNoise(layout, vec.values).values : vec.values;
    released.forEach((v, i) => {
      sum[i] = (sum[i] as bigint) + v;
    });
  }
  const at = (name: string): number => {
    const b = layout.blocks.find((x) => x.name === name);
    if (!b) throw new RangeError(`standardisation layout lacks block ${name}`);
    return Number(sum[b.offset] as bigint);
  };
  const sums: Record<string, number> = {};
  const sumsq: Record<string, number> = {};
  for (const m of q.measures) {
    sums[m.field] = at(`sum:${m.field}`);
    sumsq[m.field] = at(`sumsq:${m.field}`);
  }
  return standardisationFromResult(spec, { count: at('count'), sums, sumsq });
}

/** Phase 1: federated DP means/stds of the numeric features. */
export function simulateStandardisation(
  spec: TrainSpec,
  nodes: readonly SimNode[],
  opts: SimOptions
): Standardisation {
  if (opts.standardisation === 'segment-query')
    return simulateStandardisationQuery(spec, nodes, opts);
  const releases = nodes.map((n) => localStandardisationRelease(spec, n.rows, noiseOpts(opts)));
  const first = releases[0];
  if (!first) throw new RangeError('no nodes');
  const values = first.values.map((_, i) =>
    releases.reduce((s, r) => s + (r.values[i] as bigint), 0n)
  );
  return standardisationFromAggregate(spec, first.layout, values);
}

/** Phase 1 then `spec.rounds` rounds; returns the trained model. */
export function simulateTraining(
  spec: TrainSpec,
  nodes: readonly SimNode[],
  opts: SimOptions
): Model {
  const std = simulateStandardisation(spec, nodes, opts);
  let model = startingModel(spec, std, { nodes: [], noise: opts.noise });
  for (let r = 0; r < spec.rounds; r++) {
    const releases = nodes.map((n) => localGradientRelease(spec, model, n.rows, noiseOpts(opts)));
    const first = releases[0];
    if (!first) throw new RangeError('no nodes');
    const values = first.values.map((_, i) =>
      releases.reduce((s, rel) => s + (rel.values[i] as bigint), 0n)
    );
    const variance = first.variance.map((_, i) =>
      releases.reduce((s, rel) => s + (rel.variance[i] as number), 0)
    );
    model = applyUpdate(spec, model, {
      layout: first.layout,
      values,
      variance,
      nodes: nodes.map((n) => n.id),
    });
    opts.onRound?.(model);
  }
  return model;
}
