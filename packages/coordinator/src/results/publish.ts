import {
  LOCAL_LAPLACE,
  epsilonToMicro,
  interpretVector,
  type Estimate,
  type Measure,
  type NoiseMode,
  type ProjectedEstimate,
  type RatioEstimate,
  type ResultCell,
  type RoundNoise,
  type RoundResult,
  type SegmentLayout,
  type SegmentResult,
} from '@fedmark/protocol';
import { aggregateNoiseVariance, noiseNote, roundRho } from './noise.ts';

export interface RoundResultInput {
  jobId: string;
  round: number;
  name: string;
  layout: SegmentLayout;
  values: bigint[];
  contributors: string[];
  epsilonPerNode: number;
  noise: NoiseMode;
  /** How the nodes added it (protocol roundNoiseOf: mechanism, delta, threshold); default local Laplace. */
  roundNoise?: RoundNoise;
  publishedAt: string;
  /** Field names of the query's dimensions (labels the interpretation). */
  dimensions: string[];
  /** The query's measures: their clipping bounds decide what is projected (docs/analytics.md "Post-processing"). */
  measures: readonly Pick<Measure, 'field' | 'lower' | 'upper'>[];
}

const cell = (labels: string[], block: string, e: Estimate): ResultCell => {
  const out: ResultCell = {
    labels,
    block,
    estimate: e.estimate,
    noiseStd: e.sd,
    ci95: [e.low, e.high],
  };
  const p = e as Partial<RatioEstimate>;
  if (p.raw !== undefined) out.raw = p.raw;
  if (p.unreliable !== undefined) {
    out.unreliable = p.unreliable;
    out.reason = p.reason ?? null;
  }
  return out;
};

/**
 * The interpretation as one flat cell per block slot, in layout order (`count`, `total`, then
 * `sum:<field>` and `sumsq:<field>` per measure), followed by the `mean:<field>` of every cell
 * whose count estimate is positive. Both views carry the same post-processed figures.
 */
export function resultCells(seg: SegmentResult): ResultCell[] {
  const out: ResultCell[] = seg.cells.map((c) => cell(c.labels, 'count', c.count));
  out.push(cell([], 'total', seg.total));
  for (const m of seg.measures) {
    out.push(
      ...seg.cells.map((c) => cell(c.labels, `sum:${m}`, c.measures[m]?.sum as ProjectedEstimate))
    );
    if (seg.cells[0]?.measures[m]?.sumOfSquares) {
      out.push(
        ...seg.cells.map((c) =>
          cell(c.labels, `sumsq:${m}`, c.measures[m]?.sumOfSquares as ProjectedEstimate)
        )
      );
    }
  }
  for (const m of seg.measures) {
    for (const c of seg.cells) {
      const mean = c.measures[m]?.mean;
      if (mean) out.push(cell(c.labels, `mean:${m}`, mean));
    }
  }
  return out;
}

/** The mechanism fields of a round result: mechanism, and for the Gaussian its rho and delta. */
export function resultNoiseFields(
  noise: RoundNoise,
  epsilonPerNode: number
): Pick<RoundResult, 'mechanism' | 'rhoPerNode' | 'delta'> {
  const rho = roundRho(noise, epsilonToMicro(epsilonPerNode));
  return noise.mechanism === 'distributed-gaussian' && rho !== undefined
    ? { mechanism: noise.mechanism, rhoPerNode: rho, delta: noise.delta }
    : { mechanism: noise.mechanism };
}

/**
 * Turns a decrypted aggregate into estimates through the protocol's `interpretVector`: every
 * block slot divided by its fixed-point scale, with the DP noise standard deviation and a 95%
 * interval, per-cell means by the delta method, and the post-processing (projection, the
 * unreliable flag) done once there, so `job result`, `--json` and the console read the same figures.
 */
export function buildRoundResult(input: RoundResultInput): RoundResult {
  const { layout, values } = input;
  if (values.length !== layout.length)
    throw new RangeError(`"values" expected ${layout.length} slots, got ${values.length}`);
  const noiseOn = input.noise === 'on';
  const roundNoise = input.roundNoise ?? LOCAL_LAPLACE;
  const n = input.contributors.length;
  const variance = aggregateNoiseVariance(layout, n, noiseOn, roundNoise);
  const interpretation = interpretVector(layout, values, variance, {
    dimensions: input.dimensions,
    measures: input.measures,
  });
  const notes = [
    noiseOn
      ? `${noiseNote(roundNoise, true, n, epsilonToMicro(input.epsilonPerNode))} Intervals are 95% normal approximations of that noise only (not sampling error).`
      : noiseNote(roundNoise, false, n, 0),
    "A cell whose noisy count at a node fell below that node's minimum cohort k was released as 0 by that node (suppression after noise, so it costs no privacy); small cells can therefore be biased low, and which node suppressed what is not disclosed.",
  ];
  return {
    version: 1,
    jobId: input.jobId,
    round: input.round,
    name: input.name,
    layoutHash: layout.hash,
    contributingNodes: input.contributors,
    epsilonPerNode: input.epsilonPerNode,
    noise: input.noise,
    ...resultNoiseFields(roundNoise, input.epsilonPerNode),
    values: values.map(String),
    noiseVariance: variance,
    cells: resultCells(interpretation),
    interpretation,
    notes,
    publishedAt: input.publishedAt,
  };
}
