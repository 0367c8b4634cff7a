/**
 * Internal: the rounding both training releases apply before a value enters a fixed-point slot.
 *
 * Round half away from zero: |round(v)| <= |v| + 1/2, the bound the sensitivities assume.
 * (analytics/fixed-point.ts has its own roundHalfAway built on Math.round; the two agree except
 * on inputs such as 0.49999999999999994, where v + 0.5 rounds up in float64, so they are kept
 * apart rather than merged: merging would move trained weights by one unit in such cases.)
 */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}
