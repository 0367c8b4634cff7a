/**
 * A customer's decision facts (docs/decide.md "Facts") read from the institution's PostgreSQL:
 * the same facts as decide/fact-loader.ts reads from SQLite, for a node with a warehouse mapping
 * (docs/warehouse.md). One customer is three or four statements filtered to its id (the summary
 * with its consent flag, the touches of the fatigue window, one feature row per table the policy
 * scores or reads); the batch streams every mapped customer with the window's touches and the
 * feature rows merge-joined by customer id, so memory stays flat. Erased customers (the node's
 * tombstones) are `erased` to a point read and absent from the batch, as on SQLite.
 */
import { ProtocolError, encodeRow, linearScore, modelVector, sigmoid } from '@fedmark/protocol';
import { OrderedCursor } from '../analytics/_merge.ts';
import { toNumber } from '../analytics/cell-index.ts';
import { lifecycleStage } from '../analytics/customer-fields.ts';
import type { TableRow } from '../analytics/types.ts';
import {
  decisionMoment,
  factsWithoutConsent,
  type FactLoader,
  type FactLoaderOptions,
} from '../decide/fact-loader.ts';
import type { CustomerFacts } from '../decide/decision.ts';
import { customerSummary } from '../store/customer-summary.ts';
import type { ActivityAggregateColumns } from '../store/customer-activity.ts';
import { coerceCell, type CellValue } from '../store/_values.ts';
import { pickScoringTable } from '../training/score-node.ts';
import type { PgBridge } from './_bridge.ts';
import { customersSql, tableRowSql, touchWindowSql } from './_sql.ts';
import type { WarehouseMapping } from './mapping.ts';
import { createWarehouseUnitSource, warehouseParams, type NodeOverlay } from './source.ts';

type Row = unknown[];

/** touchWindowSql's rows (cid, channel, count; ordered by cid) as one record per customer. */
function* touchWindows(
  rows: Iterable<Row>
): Generator<{ customerId: string; touches7d: Record<string, number> }> {
  let customerId: string | undefined;
  let touches7d: Record<string, number> = {};
  for (const [cid, channel, n] of rows) {
    if (cid !== customerId) {
      if (customerId !== undefined) yield { customerId, touches7d };
      customerId = cid as string;
      touches7d = {};
    }
    touches7d[channel as string] = n as number;
  }
  if (customerId !== undefined) yield { customerId, touches7d };
}

export function createWarehouseFactLoader(
  o: FactLoaderOptions & {
    bridge: PgBridge;
    mapping: WarehouseMapping;
    overlay: NodeOverlay;
  }
): FactLoader {
  const { bridge, mapping, policy, overlay } = o;
  const { nowMs, until, windowStart, k } = decisionMoment(policy, o.now);
  const params = warehouseParams('marketing', until, new Date(nowMs), overlay);
  const attrs = mapping.customers.attributes;
  const flagAt = 9 + attrs.length;

  // Feature tables the policy reads: each model's scoring table, and a table-based CLV field.
  const scorers = Object.entries(policy.policy.models).map(([name, ref]) => {
    const model = o.models.get(name);
    if (!model) throw new ProtocolError('BAD_REQUEST', `model "${name}" was not loaded`);
    return { name, model, w: modelVector(model), table: pickScoringTable(o.db, model, ref.table) };
  });
  const clvField = policy.policy.clv?.field ?? null;
  const [clvTable, clvColumn] = clvField?.startsWith('table.')
    ? (clvField.split('.').slice(1) as [string, string])
    : [null, null];
  const attrAt = clvField?.startsWith('attr.')
    ? attrs.findIndex((a) => a.name === clvField.slice(5))
    : -1;
  const tables = [...new Set([...scorers.map((s) => s.table), ...(clvTable ? [clvTable] : [])])];
  const columnsOf = (table: string) => {
    const f = mapping.tables.find((t) => t.name === table);
    if (!f) throw new ProtocolError('NOT_FOUND', `feature table "${table}" does not exist`);
    return f.columns;
  };
  if (clvTable && !columnsOf(clvTable).some((c) => c.name === clvColumn))
    throw new ProtocolError(
      'BAD_REQUEST',
      `feature table "${clvTable}" has no column "${clvColumn}"`
    );

  const clvOf = (
    r: Row,
    rows: ReadonlyMap<string, Record<string, CellValue> | null>,
    monetary: number
  ): number | null => {
    if (clvField === null) return null;
    if (clvField.startsWith('attr.')) {
      const a = attrs[attrAt];
      return a ? toNumber(coerceCell(r[9 + attrAt], a.type)) : null;
    }
    if (clvTable) return toNumber(rows.get(clvTable)?.[clvColumn as string] ?? null);
    return monetary;
  };

  const factsOf = (
    r: Row,
    rows: ReadonlyMap<string, Record<string, CellValue> | null>,
    touches7d: Record<string, number>
  ): CustomerFacts => {
    const customerId = r[0] as string;
    if (r[flagAt] !== true) return factsWithoutConsent(customerId, 'known');
    const agg = r.slice(2, 9) as ActivityAggregateColumns;
    const summary = customerSummary(customerId, r[1] as number | null, {}, ...agg);
    const scores: Record<string, number | null> = {};
    for (const s of scorers) {
      const row = rows.get(s.table) ?? null;
      scores[s.name] =
        row === null ? null : sigmoid(linearScore(s.w, encodeRow(s.model.encoding, row)));
    }
    const clvValue = clvOf(r, rows, summary.monetary);
    return {
      customerId,
      status: 'known',
      marketingConsent: true,
      stage: lifecycleStage(summary, k),
      clvValue,
      scores,
      touches7d,
    };
  };

  // Every statement built once per loader; a point read's customer id is $7 in each.
  const sql = {
    customer: customersSql(mapping, { everyone: true, one: '$7' }),
    customers: customersSql(mapping, { everyone: true }),
    touches: touchWindowSql(mapping, { fromMs: windowStart, one: '$7' }),
    allTouches: touchWindowSql(mapping, { fromMs: windowStart }),
    rows: tables.map((t) => ({
      table: t,
      sql: tableRowSql(mapping, t) as string,
      columns: columnsOf(t),
    })),
  };
  return {
    one(customerId) {
      if (overlay.isErased?.(customerId)) return factsWithoutConsent(customerId, 'erased');
      const one = [...params, customerId];
      const [r] = [...bridge.stream(sql.customer, one)];
      if (!r) return factsWithoutConsent(customerId, 'unknown');
      if (r[flagAt] !== true) return factsWithoutConsent(customerId, 'known');
      const [window] = sql.touches ? [...touchWindows(bridge.stream(sql.touches, one))] : [];
      const rows = new Map<string, Record<string, CellValue> | null>();
      for (const t of sql.rows) {
        const [v] = [...bridge.stream(t.sql, [customerId])];
        const out: Record<string, CellValue> = {};
        t.columns.forEach((c, i) => {
          out[c.name] = coerceCell(v?.[i], c.type);
        });
        rows.set(t.table, v ? out : null);
      }
      return factsOf(r, rows, window?.touches7d ?? {});
    },
    *all() {
      const source = createWarehouseUnitSource(
        bridge,
        mapping,
        {
          purpose: 'marketing',
          asOf: new Date(nowMs).toISOString().slice(0, 10),
          consentAt: new Date(nowMs),
        },
        overlay
      );
      const joins = tables.map(
        (t) =>
          [t, new OrderedCursor<TableRow>(source.tableRows(t), `rows of table "${t}"`)] as const
      );
      const touchGroups = sql.allTouches
        ? new OrderedCursor(
            touchWindows(bridge.stream(sql.allTouches, params)),
            'touches in the fatigue window'
          )
        : null;
      try {
        for (const r of bridge.stream(sql.customers, params)) {
          const customerId = r[0] as string;
          if (overlay.isErased?.(customerId)) continue;
          const rows = new Map<string, Record<string, CellValue> | null>();
          const touches7d: Record<string, number> = {};
          if (r[flagAt] === true) {
            for (const [t, j] of joins) rows.set(t, j.seek(customerId)?.values ?? null);
            Object.assign(touches7d, touchGroups?.seek(customerId)?.touches7d);
          }
          yield factsOf(r, rows, touches7d);
        }
      } finally {
        for (const [, j] of joins) j.close();
        touchGroups?.close();
      }
    },
  };
}
