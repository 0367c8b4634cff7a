import type { SegmentLayout } from '@fedmark/protocol';

/**
 * Minimum cohort (DESIGN §3, policy.minCohort): every cell with fewer than k rows after consent
 * filtering has ALL its slots (count, sums, sums of squares) set to 0 before noise, so the
 * released cell is pure noise. The `total` slot is left as is (it is noised like any other).
 * Returns a new vector and the number of suppressed cells, which stays on the node: per-node
 * suppression is an un-noised statistic and is never sent (docs/federation-protocol.md).
 */
export function suppressSmallCells(
  layout: SegmentLayout,
  values: readonly bigint[],
  cellCounts: readonly number[],
  minCohort: number
): { values: bigint[]; suppressedCells: number } {
  if (cellCounts.length !== layout.cells.length) {
    throw new RangeError(`"cellCounts" expected ${layout.cells.length} cells, got ${cellCounts.length}`);
  }
  if (values.length !== layout.length) throw new RangeError(`"values" expected length ${layout.length}, got ${values.length}`);
  if (!Number.isInteger(minCohort) || minCohort < 1) throw new RangeError(`"minCohort" expected a positive integer, got ${minCohort}`);
  const out = values.slice();
  const perCell = layout.blocks.filter((b) => b.kind !== 'total');
  let suppressedCells = 0;
  cellCounts.forEach((count, cell) => {
    if (count >= minCohort) return;
    suppressedCells++;
    for (const b of perCell) out[b.offset + cell] = 0n;
  });
  return { values: out, suppressedCells };
}
