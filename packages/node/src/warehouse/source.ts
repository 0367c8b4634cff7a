/**
 * UnitSource over an institution's PostgreSQL (docs/warehouse.md): the same contract as
 * store/unit-source.ts (analytics/unit-source-contract.ts runs on both), with the per-customer
 * aggregation, the asOf cut and the consent-in-force filter computed by PostgreSQL. Rows arrive
 * in batches from server-side cursors, so the node's memory stays flat whatever the table sizes.
 */
import { ProtocolError, PurposeSchema } from '@fedmark/protocol';
import type { CellPlan, CellTotals } from '../analytics/cell-plan.ts';
import type {
  CustomerSummary,
  EventRow,
  RowHint,
  TableRow,
  TouchRow,
  UnitSource,
} from '../analytics/types.ts';
import { coerceCell, type CellValue } from '../store/_values.ts';
import { asOfToMs, type UnitSourceOptions } from '../store/unit-source.ts';
import { customerSummary } from '../store/customer-summary.ts';
import type { ActivityAggregateColumns } from '../store/customer-activity.ts';
import type { PgBridge } from './_bridge.ts';
import { cellsSql } from './_cells-sql.ts';
import { consentedIdsSql, customersSql, eventsSql, tableRowsSql, touchesSql } from './_sql.ts';
import type { WarehouseMapping } from './mapping.ts';

/** What the node itself knows beside the warehouse: its own consent records and erasures. */
export interface NodeOverlay {
  /** The node's consent records for the query's purpose at or before consentAt (CLI, API). */
  consents: { customerId: string; time: number; status: 'granted' | 'revoked' }[];
  /** True for a customer erased on this node (tombstone by pseudonym); absent: none erased. */
  isErased?: (customerId: string) => boolean;
}

/**
 * The bind parameters every statement of _sql.ts takes: purpose, the cut (rows before it, epoch
 * ms), the consent moment (default now) and the node's own consent records up to that moment.
 */
export function warehouseParams(
  purposeName: string,
  cutMs: number,
  consentAtDate: Date | undefined,
  overlay: NodeOverlay
): unknown[] {
  const purpose = PurposeSchema.parse(purposeName);
  const consentAt = consentAtDate ? consentAtDate.getTime() : Date.now();
  if (!Number.isFinite(consentAt)) throw new TypeError('"consentAt" expected a valid Date');
  const own = overlay.consents.filter((k) => k.time <= consentAt);
  return [
    purpose,
    cutMs,
    consentAt,
    own.map((k) => k.customerId),
    own.map((k) => k.time),
    own.map((k) => k.status),
  ];
}

/** Drops the rows of erased customers; ordered streams ask once per customer. */
export function* withoutErased<T extends { customerId: string }>(
  rows: Iterable<T>,
  isErased: ((id: string) => boolean) | undefined
): Generator<T> {
  if (!isErased) {
    yield* rows;
    return;
  }
  let last: string | undefined;
  let erased = false;
  for (const r of rows) {
    if (r.customerId !== last) {
      last = r.customerId;
      erased = isErased(last);
    }
    if (!erased) yield r;
  }
}

export function createWarehouseUnitSource(
  bridge: PgBridge,
  mapping: WarehouseMapping,
  opts: UnitSourceOptions,
  overlay: NodeOverlay = { consents: [] }
): UnitSource {
  const params = warehouseParams(opts.purpose, asOfToMs(opts.asOf), opts.consentAt, overlay);
  const attrs = mapping.customers.attributes;

  function* customers(): Generator<CustomerSummary> {
    for (const r of bridge.stream(customersSql(mapping), params)) {
      // customersSql's columns: id, signup day, the activity aggregates, then the attributes.
      const [cid, signupDay, count, days, first, last, lastEvent, monetary, lastResponse] = r as [
        string,
        number | null,
        ...ActivityAggregateColumns,
      ];
      const attributes: Record<string, CellValue> = {};
      attrs.forEach((a, i) => {
        attributes[a.name] = coerceCell(r[9 + i], a.type);
      });
      yield customerSummary(
        cid,
        signupDay,
        attributes,
        count,
        days,
        first,
        last,
        lastEvent,
        monetary,
        lastResponse
      );
    }
  }

  function* events(hint: RowHint = {}): Generator<EventRow> {
    for (const r of bridge.stream(eventsSql(mapping, hint), params)) {
      const [customerId, time, type, amount, channel, category] = r as [
        string,
        number,
        string,
        number | null,
        string | null,
        string | null,
      ];
      yield { customerId, time, type, amount, channel, category };
    }
  }

  function* touches(hint: RowHint = {}): Generator<TouchRow> {
    const sql = touchesSql(mapping, hint);
    if (sql === null) return;
    for (const r of bridge.stream(sql, params)) {
      const [customerId, time, channel, campaign, variant, outcome] = r as [
        string,
        number,
        string,
        string,
        string | null,
        string,
      ];
      yield { customerId, time, channel, campaign, variant, outcome };
    }
  }

  function* tableRows(table: string): Generator<TableRow> {
    const sql = tableRowsSql(mapping, table);
    const f = mapping.tables.find((t) => t.name === table);
    if (sql === null || !f)
      throw new ProtocolError('NOT_FOUND', `feature table "${table.slice(0, 64)}" does not exist`);
    for (const r of bridge.stream(sql, params)) {
      const values: Record<string, CellValue> = {};
      f.columns.forEach((c, i) => {
        values[c.name] = coerceCell(r[1 + i], c.type);
      });
      yield { customerId: r[0] as string, values };
    }
  }

  const isErased = overlay.isErased;

  /**
   * Push-down (docs/warehouse.md): the ids of the customers whose rows the query reads go by
   * once (for the release's units commitment, and to find the erased ones, whose pseudonyms only
   * the node can compute), then one row per non-empty cell.
   */
  function cells(plan: CellPlan, seen: (customerId: string) => void): CellTotals | null {
    const sql = cellsSql(mapping, plan);
    // The plan's cut is the query's asOf; a source opened at another asOf is read row by row.
    if (sql === null || plan.endMs !== params[1]) return null;
    const erased: string[] = [];
    for (const [id] of bridge.stream(consentedIdsSql(mapping), params) as Iterable<[string]>) {
      if (isErased?.(id)) erased.push(id);
      else seen(id);
    }
    const totals: CellTotals = {
      counts: new Array<number>(plan.cells).fill(0),
      sums: plan.measures.map(() => new Array<bigint>(plan.cells).fill(0n)),
      squares: plan.measures.map((m) =>
        m.squares ? new Array<bigint>(plan.cells).fill(0n) : null
      ),
    };
    for (const r of bridge.stream(sql, [...params, erased])) {
      const cell = r[0] as number;
      if (!(Number.isInteger(cell) && cell >= 0 && cell < plan.cells))
        throw new Error(`the warehouse computed cell ${String(cell)} of ${plan.cells}`);
      totals.counts[cell] = r[1] as number;
      let c = 2;
      plan.measures.forEach((m, i) => {
        (totals.sums[i] as bigint[])[cell] = BigInt(r[c++] as string);
        if (m.squares) (totals.squares[i] as bigint[])[cell] = BigInt(r[c++] as string);
      });
    }
    return totals;
  }

  return {
    customers: () => withoutErased(customers(), isErased),
    events: (hint) => withoutErased(events(hint), isErased),
    touches: (hint) => withoutErased(touches(hint), isErased),
    tableRows: (table) => withoutErased(tableRows(table), isErased),
    cells,
  };
}
