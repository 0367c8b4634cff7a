import { interpretVector, type NoiseMode, type ResultCell, type RoundResult, type SegmentLayout } from '@fedmark/protocol';
import { aggregateNoiseVariance } from './noise.ts';

/** Two-sided 95% normal quantile: the noise sum over several nodes is close to normal. */
const Z95 = 1.959963984540054;

export interface RoundResultInput {
  jobId: string;
  round: number;
  name: string;
  layout: SegmentLayout;
  values: bigint[];
  contributors: string[];
  epsilonPerNode: number;
  noise: NoiseMode;
  publishedAt: string;
  /** Field names of the query's dimensions (labels the interpretation). */
  dimensions: string[];
}

const cell = (labels: string[], block: string, estimate: number, variance: number): ResultCell => {
  const std = Math.sqrt(Math.max(0, variance));
  return { labels, block, estimate, noiseStd: std, ci95: [estimate - Z95 * std, estimate + Z95 * std] };
};

/**
 * Turns a decrypted aggregate into estimates: every block slot divided by its fixed-point
 * scale, with the DP noise standard deviation and a 95% interval, plus per-cell means
 * (sum / count) whose variance comes from the delta method:
 * Var(S/C) ~ (Var S + (S/C)^2 Var C) / C^2, reported only where the count estimate is positive.
 */
export function buildRoundResult(input: RoundResultInput): RoundResult {
  const { layout, values } = input;
  if (values.length !== layout.length) throw new RangeError(`"values" expected ${layout.length} slots, got ${values.length}`);
  const variance = aggregateNoiseVariance(layout, input.contributors.length, input.noise === 'on');
  const cells: ResultCell[] = [];
  const countBlock = layout.blocks.find((b) => b.kind === 'count');
  for (const b of layout.blocks) {
    for (let i = 0; i < b.length; i++) {
      const slot = b.offset + i;
      const labels = b.kind === 'total' ? [] : (layout.cells[i] ?? []);
      cells.push(cell(labels, b.name, Number(values[slot] as bigint) / b.scale, (variance[slot] as number) / b.scale ** 2));
    }
  }
  if (countBlock) {
    for (const b of layout.blocks.filter((x) => x.kind === 'sum')) {
      for (let i = 0; i < b.length; i++) {
        const c = Number(values[countBlock.offset + i] as bigint);
        if (c <= 0) continue;
        const s = Number(values[b.offset + i] as bigint) / b.scale;
        const varS = (variance[b.offset + i] as number) / b.scale ** 2;
        const varC = variance[countBlock.offset + i] as number;
        const mean = s / c;
        cells.push(cell(layout.cells[i] ?? [], `mean:${b.field}`, mean, (varS + mean * mean * varC) / (c * c)));
      }
    }
  }
  const notes = [
    input.noise === 'on'
      ? `Each of the ${input.contributors.length} contributing nodes added discrete Laplace noise to every slot (local DP); intervals are 95% normal approximations of that noise only (not sampling error).`
      : 'Noise was switched off (test-only mode): these are exact sums and are NOT differentially private.',
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
    values: values.map(String),
    noiseVariance: variance,
    cells,
    interpretation: interpretVector(layout, values, variance, { dimensions: input.dimensions }),
    notes,
    publishedAt: input.publishedAt,
  };
}
