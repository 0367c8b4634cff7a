import { inverseRegularizedBeta } from './_beta.ts';

/**
 * Black-box DP audit (docs/privacy.md "How it is checked (tests)"), after the hypothesis-testing
 * view of DP (Kairouz, Oh, Viswanath 2015; Ding et al. 2018 "Detecting Violations of Differential
 * Privacy"): run the mechanism on neighbouring inputs, and for events E bound P[M(D) in E] and
 * P[M(D') in E] with exact (Clopper-Pearson) binomial confidence bounds. Any e^eps-DP mechanism has
 * P[M(D') in E] <= e^eps P[M(D) in E], so ln(lower(P') / upper(P)) is, with the stated confidence,
 * a lower bound on the true epsilon. The audit can only find violations: a result at or below the
 * claim is consistent with it, never a proof of it.
 */

/**
 * One-sided Clopper-Pearson bounds for k successes in n trials, each holding with probability
 * at least 1 - alpha: lower = Beta^-1(alpha; k, n-k+1), upper = Beta^-1(1-alpha; k+1, n-k)
 * (computed as 1 - Beta^-1(alpha; n-k, k+1) to keep precision at tiny alpha).
 */
export function clopperPearson(
  k: number,
  n: number,
  alpha: number
): { lower: number; upper: number } {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 1 || k > n) {
    throw new RangeError(
      `clopperPearson expected integers 0 <= k <= n, n >= 1; got k=${k}, n=${n}`
    );
  }
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`"alpha" expected in (0, 1), got ${alpha}`);
  const lower = k === 0 ? 0 : inverseRegularizedBeta(alpha, k, n - k + 1);
  const upper = k === n ? 1 : 1 - inverseRegularizedBeta(alpha, n - k, k + 1);
  return { lower, upper };
}

export interface EpsilonAudit {
  /** Largest epsilon lower bound over all events and both directions (0 if none is positive). */
  epsilonLowerBound: number;
  /** The event that gave it, e.g. `out >= 21, D' vs D`. */
  event: string;
  /** Per-bound failure probability after splitting the confidence over every bound. */
  alphaPerBound: number;
}

function countAtLeast(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) >= t) hi = mid;
    else lo = mid + 1;
  }
  return sorted.length - lo;
}

/**
 * Estimates a lower bound on epsilon from outputs on D (`outA`) and on a neighbour D' (`outB`).
 * Events: {out >= t} and {out < t} for each threshold, both ratio directions. The total
 * failure probability `confidence` (e.g. 1e-6) is split evenly (union bound) over the four
 * one-sided bounds each event needs.
 */
export function auditEpsilon(
  outA: ArrayLike<number>,
  outB: ArrayLike<number>,
  opts: { thresholds: number[]; confidence: number }
): EpsilonAudit {
  const a = Float64Array.from(outA).sort();
  const b = Float64Array.from(outB).sort();
  if (a.length === 0 || b.length === 0)
    throw new RangeError('auditEpsilon needs samples on both datasets');
  const events = opts.thresholds.length * 2;
  const alpha = opts.confidence / (events * 4);
  let best: EpsilonAudit = { epsilonLowerBound: 0, event: 'none', alphaPerBound: alpha };
  for (const t of opts.thresholds) {
    const kA = countAtLeast(a, t);
    const kB = countAtLeast(b, t);
    const eventsAt: [string, number, number][] = [
      [`out >= ${t}`, kA, kB],
      [`out < ${t}`, a.length - kA, b.length - kB],
    ];
    for (const [name, ka, kb] of eventsAt) {
      const ba = clopperPearson(ka, a.length, alpha);
      const bb = clopperPearson(kb, b.length, alpha);
      const candidates: [string, number, number][] = [
        [`${name}, D' vs D`, bb.lower, ba.upper],
        [`${name}, D vs D'`, ba.lower, bb.upper],
      ];
      for (const [label, num, den] of candidates) {
        if (num <= 0 || den <= 0) continue;
        const eps = Math.log(num / den);
        if (eps > best.epsilonLowerBound)
          best = { epsilonLowerBound: eps, event: label, alphaPerBound: alpha };
      }
    }
  }
  return best;
}
