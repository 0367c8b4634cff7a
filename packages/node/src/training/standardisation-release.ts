import {
  numericFeatures,
  parseNumeric,
  STANDARDISATION_SCALE,
  standardisationLayout,
  unitValue,
  type RoundNoise,
  type StandardisationLayout,
  type TrainSpec,
} from '@fedmark/protocol';
import { roundHalfAway } from './_round.ts';
import { addNoise } from '../privacy/noise.ts';
import type { TrainingRow } from './gradient-release.ts';

export interface StandardisationRelease {
  layout: StandardisationLayout;
  /** Noised integer vector in layout order: what is encrypted and sent. */
  values: bigint[];
  variance: number[];
  /** Epsilon charged at the node for phase 1, micro-epsilon. */
  epsilonMicro: number;
}

/** Exact phase-1 vector over the node's consenting rows (never leaves the node as is). */
export function localStandardisationVector(
  spec: TrainSpec,
  rows: Iterable<TrainingRow>
): { layout: StandardisationLayout; values: bigint[] } {
  const layout = standardisationLayout(spec);
  const feats = numericFeatures(spec);
  const acc = new Float64Array(layout.length);
  const at = (name: string): number => layout.blocks.find((b) => b.name === name)?.offset ?? -1;
  const [count, positives, present, sum, sumsq] = [
    at('count'),
    at('positives'),
    at('present'),
    at('sum'),
    at('sumsq'),
  ];
  const label = spec.label;
  for (const row of rows) {
    acc[count] = (acc[count] as number) + 1;
    const y = row.values[label.column];
    if (y !== null && y !== undefined && String(y) === label.positive)
      acc[positives] = (acc[positives] as number) + 1;
    feats.forEach((f, j) => {
      const u = unitValue(f, parseNumeric(row.values[f.column]));
      if (u === null) return;
      acc[present + j] = (acc[present + j] as number) + 1;
      acc[sum + j] = (acc[sum + j] as number) + roundHalfAway(u * STANDARDISATION_SCALE);
      acc[sumsq + j] = (acc[sumsq + j] as number) + roundHalfAway(u * u * STANDARDISATION_SCALE);
    });
  }
  return { layout, values: Array.from(acc, (v) => BigInt(v)) };
}

/**
 * The node's phase-1 release: exact sums plus discrete Laplace noise per block, charging the
 * job's standardisation share of epsilon (trainEpsilonPlan). `noise: false` is for tests and
 * benchmarks only.
 */
export function localStandardisationRelease(
  spec: TrainSpec,
  rows: Iterable<TrainingRow>,
  opts: { noise: boolean; roundNoise?: RoundNoise }
): StandardisationRelease {
  const { layout, values: exact } = localStandardisationVector(spec, rows);
  const { values, variance } = opts.noise
    ? addNoise(layout, exact, opts.roundNoise)
    : { values: exact, variance: new Array<number>(layout.length).fill(0) };
  return { layout, values, variance, epsilonMicro: layout.epsilonMicro };
}
