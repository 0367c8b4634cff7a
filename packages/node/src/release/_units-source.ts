/**
 * Internal: wraps a UnitSource so that every customer id any of its streams yields is recorded.
 * The source is already consent-filtered (store/unit-source.ts), so the recorded set is the
 * customers whose rows the release read: a superset of those that ended in a cell (e.g. an
 * event query also passes customers without events), which is the sound side for the erasure
 * audit: anything the computation could have used is committed to. Streams are ordered by
 * customer, so only a change of id is looked up in the set.
 */
import type { UnitSource } from '../analytics/index.ts';

function* tap<T extends { customerId: string }>(
  rows: Iterable<T>,
  units: Set<string>
): Generator<T> {
  let last: string | undefined;
  for (const r of rows) {
    if (r.customerId !== last) {
      last = r.customerId;
      units.add(last);
    }
    yield r;
  }
}

export function recordingSource(source: UnitSource): { source: UnitSource; units: Set<string> } {
  const units = new Set<string>();
  return {
    units,
    source: {
      customers: () => tap(source.customers(), units),
      // The hint goes through: without it a warehouse would send every row (docs/warehouse.md).
      events: (hint) => tap(source.events(hint), units),
      touches: (hint) => tap(source.touches(hint), units),
      tableRows: (table) => tap(source.tableRows(table), units),
      // A source computing cells itself reports the customers it read instead of yielding them.
      ...(source.cells
        ? {
            cells: (plan, seen) =>
              (source.cells as NonNullable<UnitSource['cells']>)(plan, (id) => {
                units.add(id);
                seen(id);
              }),
          }
        : {}),
    },
  };
}
