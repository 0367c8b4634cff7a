import { EVAL_BINS } from './round-layout.ts';

/**
 * Exact ROC AUC by the rank-sum (Mann-Whitney U) formula: ties in score count one half, i.e.
 * AUC = P(score_pos > score_neg) + P(score_pos = score_neg) / 2. O(n log n).
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (labels.length !== n)
    throw new RangeError(`"labels" expected length ${n}, got ${labels.length}`);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i] as number)) throw new RangeError(`"scores"[${i}] is not finite`);
  }
  idx.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (labels[idx[t] as number]) {
        rankSumPos += midRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0)
    throw new RangeError('auc needs at least one positive and one negative label');
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Bin of a probability among EVAL_BINS equal-width bins of [0, 1]. */
export function scoreBin(probability: number, bins = EVAL_BINS): number {
  if (!(probability >= 0 && probability <= 1))
    throw new RangeError(`probability expected in [0, 1], got ${probability}`);
  return Math.min(bins - 1, Math.floor(probability * bins));
}

/**
 * AUC from (noisy, summed) score histograms of positives and negatives over the same ordered
 * bins: pairs in the same bin count as ties (1/2). Noisy counts are clamped at 0 first
 * (post-processing). With fixed bins this underestimates ranking inside a bin; 20 bins of the
 * probability cost a few thousandths of AUC on churn data. Returns null when a class is empty.
 */
export function aucFromHistograms(pos: ArrayLike<number>, neg: ArrayLike<number>): number | null {
  if (pos.length !== neg.length) throw new RangeError('histograms must have the same bins');
  let below = 0;
  let num = 0;
  let np = 0;
  let nn = 0;
  for (let i = 0; i < pos.length; i++) {
    const p = Math.max(0, pos[i] as number);
    const q = Math.max(0, neg[i] as number);
    num += p * (below + q / 2);
    below += q;
    np += p;
    nn += q;
  }
  return np > 0 && nn > 0 ? num / (np * nn) : null;
}

/**
 * A 95% interval for `aucFromHistograms` that is honest about both of its errors
 * (docs/models.md §6): the DP noise in the bin counts (their variances `posVariance`,
 * `negVariance`, public: derived from the layout and the mechanism) by the delta method on
 * A = sum_i p_i (below_i + q_i/2) / (P N), and the sampling error of an AUC from P positives and N
 * negatives (Hanley and McNeil 1982). Post-processing of released values: no privacy cost. Null
 * when the AUC is.
 */
export function aucInterval(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  posVariance: ArrayLike<number>,
  negVariance: ArrayLike<number>
): [number, number] | null {
  const a = aucFromHistograms(pos, neg);
  if (a === null) return null;
  const p = Array.from(pos, (v) => Math.max(0, v));
  const q = Array.from(neg, (v) => Math.max(0, v));
  const np = p.reduce((s, v) => s + v, 0);
  const nn = q.reduce((s, v) => s + v, 0);
  let noiseVar = 0;
  let below = 0;
  for (let i = 0; i < p.length; i++) {
    // dA/dp_i = (below_i + q_i/2) / (P N) - A / P
    const dp = (below + (q[i] as number) / 2) / (np * nn) - a / np;
    noiseVar += dp * dp * Math.max(0, posVariance[i] as number);
    below += q[i] as number;
  }
  let above = 0;
  for (let j = p.length - 1; j >= 0; j--) {
    // dA/dq_j = (sum_{i>j} p_i + p_j/2) / (P N) - A / N
    const dq = (above + (p[j] as number) / 2) / (np * nn) - a / nn;
    noiseVar += dq * dq * Math.max(0, negVariance[j] as number);
    above += p[j] as number;
  }
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const sampling = Math.max(
    0,
    (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn)
  );
  const half = 1.96 * Math.sqrt(noiseVar + sampling);
  return [Math.max(0, a - half), Math.min(1, a + half)];
}
