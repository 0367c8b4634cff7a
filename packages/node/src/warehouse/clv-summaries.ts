/**
 * CLV summaries read from the institution's PostgreSQL (docs/warehouse.md, docs/clv.md "The clv
 * job"): the per-customer, per-day purchase folding of clv/score-summaries.ts runs as SQL in
 * PostgreSQL and one row per customer reaches the node, with the same consent-in-force rule
 * (warehouse and node records) when a clv round asks for one, and the node's erasures always.
 */
import type { ClvSummary } from '../clv/score-summaries.ts';
import type { PgBridge } from './_bridge.ts';
import { clvSummariesSql } from './_sql.ts';
import type { WarehouseMapping } from './mapping.ts';
import { warehouseParams, withoutErased, type NodeOverlay } from './source.ts';

const DAY_MS = 86_400_000;

export function warehouseClvSummaries(
  bridge: PgBridge,
  mapping: WarehouseMapping,
  o: { endDay: number; daysPerUnit: number; consent: { purpose: string; at: Date } | null },
  overlay: NodeOverlay
): ClvSummary[] {
  if (!Number.isInteger(o.endDay)) throw new TypeError('"endDay" expected an integer day');
  if (!(o.daysPerUnit > 0)) throw new RangeError('"daysPerUnit" expected a positive number');
  const cut = (o.endDay + 1) * DAY_MS;
  const [sql, params] = o.consent
    ? [clvSummariesSql(mapping), warehouseParams(o.consent.purpose, cut, o.consent.at, overlay)]
    : [clvSummariesSql(mapping, { everyone: true }), [cut]];
  function* rows(): Generator<ClvSummary> {
    for (const r of bridge.stream(sql, params)) {
      const [customerId, frequency, first, last, repeatSpend] = r as [
        string,
        number,
        number,
        number,
        number,
      ];
      yield {
        customerId,
        frequency,
        recency: (last - first) / o.daysPerUnit,
        T: (o.endDay - first) / o.daysPerUnit,
        monetary: frequency > 0 ? repeatSpend / frequency : 0,
      };
    }
  }
  return [...withoutErased(rows(), overlay.isErased)];
}
