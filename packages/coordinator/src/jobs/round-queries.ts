import {
  RFM_CLASSES,
  RFM_MEASURE_FIELDS,
  clvRoundCount,
  trainRoundCount,
  type RoundJobSpec,
  type SegmentQuery,
} from '@fedmark/protocol';

export type RfmMeans = { recency: number; frequency: number; monetary: number };

/** Number of rounds a job of this kind runs. */
export function roundCount(spec: RoundJobSpec): number {
  // train: the standardisation phase (round 0), one round per optimiser step, the own-model check.
  if (spec.kind === 'train') return trainRoundCount(spec.train);
  // clv: the BG/NBD rounds, then the Gamma-Gamma rounds (protocol clv/clv-job.ts).
  if (spec.kind === 'clv') return clvRoundCount(spec.clv);
  return spec.kind === 'rfm' ? 2 : 1;
}

/** Keeps only the epsilon weights that name a block of `q`, so layoutOf accepts the round query. */
function withWeightsFor(q: SegmentQuery): SegmentQuery {
  const names = new Set(['count', 'total']);
  for (const m of q.measures) {
    names.add(`sum:${m.field}`);
    if (m.squares) names.add(`sumsq:${m.field}`);
  }
  return {
    ...q,
    epsilonWeights: Object.fromEntries(
      Object.entries(q.epsilonWeights).filter(([k]) => names.has(k))
    ),
  };
}

/**
 * The query of round `round`. segment_stats: the spec's query. rfm (docs/analytics.md): round 0 has
 * no dimensions and measures recency_days, frequency, monetary (federated means = sum / count);
 * round 1 groups by rfm_class against those means and sums monetary per class.
 */
export function roundQuery(spec: RoundJobSpec, round: number, means?: RfmMeans): SegmentQuery {
  if (spec.kind === 'train' || spec.kind === 'clv')
    throw new RangeError(`a ${spec.kind} job has no segment queries (see ${spec.kind}-rounds.ts)`);
  if (spec.kind === 'segment_stats') {
    if (round !== 0) throw new RangeError(`segment_stats has one round, asked for ${round}`);
    return spec.query;
  }
  const base = spec.query;
  if (round === 0) {
    return withWeightsFor({
      ...base,
      name: `${spec.name}: RFM means`,
      dimensions: [],
      measures: base.measures.filter((m) =>
        (RFM_MEASURE_FIELDS as readonly string[]).includes(m.field)
      ),
    });
  }
  if (round !== 1) throw new RangeError(`rfm has two rounds, asked for ${round}`);
  // Placeholder means let the creator check the round-1 layout before round 0 has run; the
  // layout does not depend on them (only the classification does).
  const m = means ?? { recency: 0, frequency: 0, monetary: 0 };
  return withWeightsFor({
    ...base,
    name: `${spec.name}: RFM classes`,
    dimensions: [{ field: 'rfm_class', categories: [...RFM_CLASSES] }],
    measures: base.measures.filter((x) => x.field === 'monetary'),
    params: { ...base.params, rfm: { ...base.params.rfm, means: m } },
  });
}
