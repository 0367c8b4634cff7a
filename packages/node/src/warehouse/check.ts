/**
 * Checks a mapping against the live server before a node relies on it: every mapped table and
 * column must be readable (a `SELECT ... LIMIT 0` per view, so PostgreSQL itself names what is
 * missing), and the role's write privileges are reported, since docs/warehouse.md recommends a
 * read-only role. Errors name the mapping field, never the connection string.
 */
import { ProtocolError } from '@fedmark/protocol';
import type { PgBridge } from './_bridge.ts';
import { WarehouseError } from './_bridge.ts';
import { quoteIdent, quoteTable } from './_sql.ts';
import type { WarehouseMapping } from './mapping.ts';

export interface WarehouseCheck {
  views: { view: string; table: string; columns: number }[];
  /** Mapped tables this role may INSERT, UPDATE or DELETE in (should be none). */
  writable: string[];
}

function viewsOf(m: WarehouseMapping): { view: string; table: string; columns: string[] }[] {
  const cols = (...c: (string | undefined)[]): string[] => c.filter((x): x is string => !!x);
  const out = [
    {
      view: 'customers',
      table: m.customers.table,
      columns: cols(
        m.customers.customerId,
        m.customers.signup?.column,
        ...m.customers.attributes.map((a) => a.column)
      ),
    },
    {
      view: 'events',
      table: m.events.table,
      columns: cols(
        m.events.customerId,
        m.events.time.column,
        m.events.type,
        m.events.amount,
        m.events.channel,
        m.events.category
      ),
    },
    {
      view: 'consents',
      table: m.consents.table,
      columns: cols(
        m.consents.customerId,
        m.consents.purpose,
        m.consents.status,
        m.consents.time.column
      ),
    },
  ];
  if (m.touches)
    out.push({
      view: 'touches',
      table: m.touches.table,
      columns: cols(
        m.touches.customerId,
        m.touches.time.column,
        m.touches.channel,
        m.touches.campaign,
        m.touches.variant,
        m.touches.outcome
      ),
    });
  for (const [i, t] of m.tables.entries())
    out.push({
      view: `tables.${i} (${t.name})`,
      table: t.table,
      columns: [t.customerId, ...t.columns.map((c) => c.column)],
    });
  return out;
}

export function checkWarehouse(bridge: PgBridge, m: WarehouseMapping): WarehouseCheck {
  const views = viewsOf(m);
  for (const v of views) {
    try {
      bridge.query(
        `SELECT ${v.columns.map(quoteIdent).join(', ')} FROM ${quoteTable(v.table)} LIMIT 0`
      );
    } catch (err) {
      if (!(err instanceof WarehouseError)) throw err;
      throw new ProtocolError(
        'BAD_REQUEST',
        `${v.view} (table ${v.table}): ${err.message.replace(/^warehouse: /, '')}`
      );
    }
  }
  const tables = [...new Set(views.map((v) => v.table))];
  const writable = bridge
    .query(
      `SELECT t FROM unnest($1::text[]) AS t
       WHERE has_table_privilege(t, 'INSERT') OR has_table_privilege(t, 'UPDATE')
          OR has_table_privilege(t, 'DELETE')`,
      [tables.map(quoteTable)]
    )
    .map((r) => String(r[0]).replace(/"/g, ''));
  return {
    views: views.map((v) => ({ view: v.view, table: v.table, columns: v.columns.length })),
    writable,
  };
}
