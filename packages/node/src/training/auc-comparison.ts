/**
 * Two models' AUCs on the same customers and the standard error of their difference, by DeLong,
 * DeLong and Clarke-Pearson (1988): each positive's and each negative's placement (the share of
 * the other class it outranks, ties 1/2) under each model; the AUC is their mean and the
 * variance of the difference comes from the placements' covariances across the two models, so
 * it counts that both models rank the same customers. Exact arithmetic on the node's own scores;
 * nothing here is released.
 */

export interface AucComparison {
  aucA: number;
  aucB: number;
  /** aucA - aucB. */
  difference: number;
  /** Standard error of `difference` (Infinity with fewer than two of a class). */
  differenceSe: number;
  positives: number;
  negatives: number;
}

/** For each `x` of `xs`: the share of `others` below it, ties counted 1/2. */
function placements(xs: readonly number[], others: readonly number[]): number[] {
  const sorted = [...others].sort((a, b) => a - b);
  const n = sorted.length;
  const firstAtLeast = (v: number, strict: boolean): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = sorted[mid] as number;
      if (strict ? s <= v : s < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return xs.map((x) => {
    const below = firstAtLeast(x, false);
    const ties = firstAtLeast(x, true) - below;
    return (below + ties / 2) / n;
  });
}

function mean(v: readonly number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}

/** Sample covariance (denominator n - 1). */
function cov(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - ma) * ((b[i] as number) - mb);
  return s / (a.length - 1);
}

/**
 * AUC of scores `a` and of scores `b` on the same customers with `labels` (truthy = positive),
 * and the DeLong standard error of their difference.
 * @throws RangeError on unequal lengths, a non-finite score, or a class with no customer.
 */
export function pairedAucComparison(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  labels: ArrayLike<number | boolean>
): AucComparison {
  const n = labels.length;
  if (a.length !== n || b.length !== n)
    throw new RangeError(
      `"a", "b" and "labels" expected one length, got ${a.length}, ${b.length}, ${n}`
    );
  const split = (s: ArrayLike<number>) => {
    const pos: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = s[i] as number;
      if (!Number.isFinite(v)) throw new RangeError(`score ${i} is not finite`);
      (labels[i] ? pos : neg).push(v);
    }
    return { pos, neg };
  };
  const sa = split(a);
  const sb = split(b);
  const m = sa.pos.length;
  const k = sa.neg.length;
  if (m === 0 || k === 0) throw new RangeError('the comparison needs a positive and a negative');
  // V10: per positive, the share of negatives it outranks; V01: per negative, the share of
  // positives that outrank it.
  const v10a = placements(sa.pos, sa.neg);
  const v10b = placements(sb.pos, sb.neg);
  const v01a = placements(sa.neg, sa.pos).map((x) => 1 - x);
  const v01b = placements(sb.neg, sb.pos).map((x) => 1 - x);
  const aucA = mean(v10a);
  const aucB = mean(v10b);
  const variance =
    m < 2 || k < 2
      ? Number.POSITIVE_INFINITY
      : (cov(v10a, v10a) + cov(v10b, v10b) - 2 * cov(v10a, v10b)) / m +
        (cov(v01a, v01a) + cov(v01b, v01b) - 2 * cov(v01a, v01b)) / k;
  return {
    aucA,
    aucB,
    difference: aucA - aucB,
    differenceSe: Math.sqrt(Math.max(0, variance)),
    positives: m,
    negatives: k,
  };
}
