import { estimateOf, ratioVariance, type Estimate } from './estimate.ts';
import type { SegmentResult } from './interpret.ts';
import {
  MIN_RELIABLE_COUNT,
  checkMinCount,
  judgeRatio,
  projectEstimate,
  type ProjectedEstimate,
  type RatioEstimate,
} from './post-process.ts';

export interface AbTestOptions {
  /** Dimension holding the variant label: its position, or its field name (needs result.dimensions). */
  variantDimension: number | string;
  /** Label of the control variant. */
  controlVariant: string;
  /** Measure whose sum counts conversions (default `converted`; `clicked` gives click-through). */
  converted?: string;
  /** Measure whose sum counts exposures (default `exposed` when released, else the cell count). */
  exposed?: string;
  /** Optional dimension to split the test by (a segment): one group per label. */
  segmentDimension?: number | string;
  /** Rates over fewer exposures are unreliable (default: the result's, else MIN_RELIABLE_COUNT). */
  minReliableCount?: number;
}

export interface VariantSummary {
  variant: string;
  /** Summed over the variant's cells from the raw noisy values, then projected to >= 0. */
  exposed: ProjectedEstimate;
  converted: ProjectedEstimate;
  /**
   * converted / exposed from the raw sums, clamped into [0, 1] and judged (`unreliable` under
   * `minReliableCount` exposures or when its 95% half-width exceeds it); null when the exposure
   * estimate is not positive.
   */
  rate: RatioEstimate | null;
  /** rate - control rate from the raw rates (null for the control itself or when a rate is missing). */
  difference: Estimate | null;
  /** rate / control rate - 1 (relative lift). */
  lift: Estimate | null;
  /** Two-sided p-value of difference = 0 under the normal approximation. */
  pValue: number | null;
}

export interface AbTestSummary {
  control: string;
  converted: string;
  exposed: string;
  groups: { segment: string | null; variants: VariantSummary[] }[];
}

function dimensionIndex(result: SegmentResult, d: number | string, what: string): number {
  const width = result.cells[0]?.labels.length ?? 0;
  const i = typeof d === 'number' ? d : (result.dimensions ?? []).indexOf(d);
  if (!Number.isInteger(i) || i < 0 || i >= width) {
    const hint =
      typeof d === 'string' && !result.dimensions
        ? ' (interpretVector was given no dimension names)'
        : '';
    throw new RangeError(`"${what}" ${JSON.stringify(d)} is not a dimension of the result${hint}`);
  }
  return i;
}

/** Normal upper-tail probability 2·(1 - Phi(|z|)); erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
export function twoSidedPValue(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.min(1, poly * Math.exp(-x * x));
}

interface Tally {
  e: number;
  varE: number;
  c: number;
  varC: number;
}

/**
 * Conversion rate per variant with lift against the control. Variances add the binomial
 * sampling variance p(1-p)/E of each rate to the DP noise of its conversions and exposures by
 * the delta method (ratioVariance); variants are independent, so the variance of a difference is
 * the sum of theirs. Exposure and conversion sums aggregate over every other dimension (or within
 * each label of `segmentDimension`).
 */
export function abTestSummary(result: SegmentResult, options: AbTestOptions): AbTestSummary {
  const vi = dimensionIndex(result, options.variantDimension, 'variantDimension');
  const si =
    options.segmentDimension === undefined
      ? null
      : dimensionIndex(result, options.segmentDimension, 'segmentDimension');
  const converted = options.converted ?? 'converted';
  const exposed = options.exposed ?? (result.measures.includes('exposed') ? 'exposed' : 'count');
  const known = `(measures: ${result.measures.join(', ') || 'none'})`;
  if (!result.measures.includes(converted)) {
    throw new RangeError(`"converted" measure "${converted}" is not in the result ${known}`);
  }
  if (exposed !== 'count' && !result.measures.includes(exposed)) {
    throw new RangeError(`"exposed" measure "${exposed}" is not in the result ${known}`);
  }

  const groups = new Map<string | null, Map<string, Tally>>();
  for (const cell of result.cells) {
    const segment = si === null ? null : (cell.labels[si] as string);
    const variant = cell.labels[vi] as string;
    let g = groups.get(segment);
    if (!g) {
      g = new Map();
      groups.set(segment, g);
    }
    const t = g.get(variant) ?? { e: 0, varE: 0, c: 0, varC: 0 };
    const e =
      exposed === 'count' ? cell.count : (cell.measures[exposed] as { sum: ProjectedEstimate }).sum;
    const c = (cell.measures[converted] as { sum: ProjectedEstimate }).sum;
    // Slots carry independent noise, so variances of summed cells add. Sum the raw values
    // (results stored before projection existed have none): projecting each cell first would
    // bias a sum over many small cells upward.
    t.e += e.raw ?? e.estimate;
    t.varE += e.sd * e.sd;
    t.c += c.raw ?? c.estimate;
    t.varC += c.sd * c.sd;
    g.set(variant, t);
  }
  const minCount = checkMinCount(
    options.minReliableCount ?? result.minReliableCount ?? MIN_RELIABLE_COUNT
  );
  const out: AbTestSummary = { control: options.controlVariant, converted, exposed, groups: [] };
  for (const [segment, tallies] of groups) {
    const control = tallies.get(options.controlVariant);
    if (!control) {
      throw new RangeError(
        `"controlVariant" "${options.controlVariant}" is not a label of the variant dimension`
      );
    }
    const rateOf = (t: Tally): { p: number; v: number } | null => {
      if (t.e <= 0) return null;
      const p = t.c / t.e;
      const q = Math.min(1, Math.max(0, p));
      return { p, v: (q * (1 - q)) / t.e + ratioVariance(t.c, t.varC, t.e, t.varE) };
    };
    const pc = rateOf(control);
    const variants: VariantSummary[] = [...tallies].map(([variant, t]) => {
      const r = rateOf(t);
      const compare = variant !== options.controlVariant && r !== null && pc !== null;
      const diffVar = compare ? r.v + pc.v : 0;
      return {
        variant,
        exposed: projectEstimate(estimateOf(t.e, t.varE)),
        converted: projectEstimate(estimateOf(t.c, t.varC)),
        rate: r
          ? judgeRatio({
              ratio: estimateOf(r.p, r.v),
              denominator: t.e,
              denominatorName: 'exposures',
              minCount,
              bounds: [0, 1],
            })
          : null,
        difference: compare ? estimateOf(r.p - pc.p, diffVar) : null,
        lift:
          compare && pc.p > 0
            ? estimateOf(r.p / pc.p - 1, ratioVariance(r.p, r.v, pc.p, pc.v))
            : null,
        pValue: compare && diffVar > 0 ? twoSidedPValue((r.p - pc.p) / Math.sqrt(diffVar)) : null,
      };
    });
    out.groups.push({ segment, variants });
  }
  return out;
}
