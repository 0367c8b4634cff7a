/**
 * UnitSource over an institution's PostgreSQL (docs/warehouse.md): the same contract as
 * store/unit-source.ts (analytics/unit-source-contract.ts runs on both), with the per-customer
 * aggregation, the asOf cut and the consent-in-force filter computed by PostgreSQL. Rows arrive
 * in batches from server-side cursors, so the node's memory stays flat whatever the table sizes.
 */
import { ProtocolError, PurposeSchema } from '@fedmark/protocol';
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
import { customersSql, eventsSql, tableRowsSql, touchesSql } from './_sql.ts';
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
  return {
    customers: () => withoutErased(customers(), isErased),
    events: (hint) => withoutErased(events(hint), isErased),
    touches: (hint) => withoutErased(touches(hint), isErased),
    tableRows: (table) => withoutErased(tableRows(table), isErased),
  };
}
