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
  ownModelCheckLayout,
  ownModelCheckNoise,
  ownModelCheckRecord,
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
import {
  compareWithOwnModel,
  fitOwnModel,
  ownModelCheckVector,
  splitValidation,
  type OwnModel,
  type OwnModelComparison,
} from './own-model-check.ts';

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
  /** Called with each node's exact own-model comparison (spec.ownModelCheck only). */
  onOwnModelCheck?: (node: string, comparison: OwnModelComparison) => void;
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
  return spec.ownModelCheck === undefined ? model : simulateOwnModelCheck(spec, model, nodes, opts);
}

/** Own models depend on a node's rows and the spec's encoding only: fitted once per node. */
const ownModels = new WeakMap<readonly TrainingRow[], Map<string, OwnModelInputs>>();
type OwnModelInputs = { own: OwnModel; split: ReturnType<typeof splitValidation> };

function ownModelOf(spec: TrainSpec, rows: readonly TrainingRow[]): OwnModelInputs {
  const key = JSON.stringify([spec.label, spec.features, spec.l2, spec.validation]);
  let byKey = ownModels.get(rows);
  if (!byKey) {
    byKey = new Map();
    ownModels.set(rows, byKey);
  }
  let hit = byKey.get(key);
  if (!hit) {
    const split = splitValidation(spec, rows);
    hit = { own: fitOwnModel(spec, split.training), split };
    byKey.set(key, hit);
  }
  return hit;
}

/**
 * The check round (spec.ownModelCheck): every node compares `model` with its own, releases its
 * bit with the check's Laplace noise (Polya shares for the training's threshold, or a full draw
 * under local Laplace), and the summed slot becomes the model's `training.ownModelCheck`.
 */
export function simulateOwnModelCheck(
  spec: TrainSpec,
  model: Model,
  nodes: readonly SimNode[],
  opts: SimOptions
): Model {
  const layout = ownModelCheckLayout(spec);
  const rn = opts.roundNoise;
  const noise =
    rn === undefined || rn.mechanism === 'local-laplace'
      ? ownModelCheckNoise('local-laplace', 1)
      : ownModelCheckNoise(rn.mechanism, rn.contributors);
  let sum = 0n;
  for (const n of nodes) {
    const { own, split } = ownModelOf(spec, n.rows);
    const c = compareWithOwnModel(spec, model, own, split);
    opts.onOwnModelCheck?.(n.id, c);
    const exact = ownModelCheckVector(c);
    sum += (opts.noise ? addNoise(layout, exact, noise).values : exact)[0] as bigint;
  }
  const record = ownModelCheckRecord(spec, {
    value: sum,
    contributors: nodes.length,
    noise,
    noiseOn: opts.noise,
  });
  return { ...model, training: { ...model.training, ownModelCheck: record } };
}
