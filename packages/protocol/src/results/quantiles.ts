import { MISSING_CELL } from '../layout.ts';
import type { SegmentResult } from './interpret.ts';

/** Lower and upper edge of a bin label from layout.ts dimensionLabels (`<e0`, `[a,b)`, `>=ek`). */
function binEdges(label: string): [number, number] | null {
  if (label.startsWith('<')) {
    const e = Number(label.slice(1));
    return [e, e];
  }
  if (label.startsWith('>=')) {
    const e = Number(label.slice(2));
    return [e, e];
  }
  const m = /^\[(.+),(.+)\)$/.exec(label);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * Quantiles of a numeric field from a released histogram (a bin dimension of the result), e.g.
 * federated quintiles for RFM score thresholds (docs/analytics.md). Counts are summed over the
 * other dimensions; noisy negative counts count 0; `__missing__` is left out. Within a bin the mass
 * is spread uniformly (linear interpolation); the open bins `<e0` and `>=ek` sit on their edge, so
 * a quantile never leaves [e0, ek]: declare edges that cover the data. Returns null for a histogram
 * with no positive mass.
 */
export function histogramQuantiles(
  result: SegmentResult,
  dimension: number,
  probabilities: readonly number[]
): number[] | null {
  const width = result.cells[0]?.labels.length ?? 0;
  if (!Number.isInteger(dimension) || dimension < 0 || dimension >= width) {
    throw new RangeError(`"dimension" ${dimension} is not a dimension of the result`);
  }
  for (const p of probabilities) {
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`"probabilities" expected numbers in [0, 1], got ${p}`);
  }
  const mass = new Map<string, number>();
  for (const cell of result.cells) {
    const label = cell.labels[dimension] as string;
    if (label === MISSING_CELL) continue;
    mass.set(label, (mass.get(label) ?? 0) + Math.max(0, cell.count.estimate));
  }
  const bins = [...mass].map(([label, m]) => {
    const edges = binEdges(label);
    if (!edges)
      throw new RangeError(`dimension ${dimension} is not a bin dimension (label "${label}")`);
    return {
      lo: edges[0],
      hi: edges[1],
      m,
      open: label.startsWith('<') ? -1 : label.startsWith('>=') ? 1 : 0,
    };
  });
  bins.sort((a, b) => a.lo - b.lo || a.open - b.open);
  const total = bins.reduce((s, b) => s + b.m, 0);
  if (total <= 0) return null;
  return probabilities.map((p) => {
    const target = p * total;
    let acc = 0;
    for (const b of bins) {
      if (b.m > 0 && acc + b.m >= target) return b.lo + ((b.hi - b.lo) * (target - acc)) / b.m;
      acc += b.m;
    }
    return (bins[bins.length - 1] as { hi: number }).hi;
  });
}
