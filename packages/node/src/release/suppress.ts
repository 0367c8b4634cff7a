import type { SegmentLayout } from '@fedmark/protocol';

/**
 * Minimum cohort (docs/privacy.md "Minimum cohort (k)", policy.minCohort): every cell whose count
 * is under k has ALL its slots (count, sums, sums of squares) set to 0 and their variance to 0. The
 * `total` slot is kept.
 *
 * The release path calls this on the NOISY vector with the noisy counts, after noise: judged on
 * exact counts, one customer moving a cell from k-1 to k rows would switch the whole cell on,
 * a privacy loss of about k x epsilon at the threshold. On noisy values it is post-processing and
 * costs nothing (Dwork & Roth 2014, Prop. 2.1). Returns the number of suppressed cells, which
 * stays on the node's ledger: it is never sent.
 */
export function suppressSmallCells(
  layout: SegmentLayout,
  values: readonly bigint[],
  cellCounts: readonly number[],
  minCohort: number,
  variance?: readonly number[]
): { values: bigint[]; variance: number[]; suppressedCells: number } {
  if (cellCounts.length !== layout.cells.length) {
    throw new RangeError(
      `"cellCounts" expected ${layout.cells.length} cells, got ${cellCounts.length}`
    );
  }
  if (values.length !== layout.length)
    throw new RangeError(`"values" expected length ${layout.length}, got ${values.length}`);
  if (!Number.isInteger(minCohort) || minCohort < 1)
    throw new RangeError(`"minCohort" expected a positive integer, got ${minCohort}`);
  const out = values.slice();
  const outVariance = variance ? variance.slice() : new Array<number>(values.length).fill(0);
  const perCell = layout.blocks.filter((b) => b.kind !== 'total');
  let suppressedCells = 0;
  cellCounts.forEach((count, cell) => {
    if (count >= minCohort) return;
    suppressedCells++;
    for (const b of perCell) {
      out[b.offset + cell] = 0n;
      outVariance[b.offset + cell] = 0;
    }
  });
  return { values: out, variance: outVariance, suppressedCells };
}
