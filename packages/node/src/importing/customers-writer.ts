import { FEATURE_COLUMN_NAME_RE } from '../store/feature-tables.ts';
import { joinType, typeCell, type CellValue, type ColumnType } from '../store/_values.ts';
import { RowProblem } from './_csv-stream.ts';
import { fieldParsers } from './_field-parser.ts';
import { COLUMNS, CUSTOMER_FIELDS } from './formats.ts';
import { mapHeader } from './_header.ts';
import { msToDay } from './_time.ts';
import type { KindWriter, WriterContext } from './_writer.ts';
import { createSeenKeys } from './_seen-keys.ts';

/**
 * Writes customers: id, optional signup date, any attribute columns. Attributes are stored as a
 * JSON object of typed values; empty cells are left out, so a later file that lacks a value does
 * not erase the one already known (SQLite json_patch merge, RFC 7396). Column types are the join
 * over every value ever imported (see store/_values.ts). An id is a key: the same id twice in one
 * file is refused (the later row would silently overwrite the earlier one), while a later file
 * naming it again merges into the stored row (idempotent re-import).
 */
export function customersWriter(ctx: WriterContext): KindWriter {
  const upsert = ctx.db.prepare(`
    INSERT INTO customers (customer_id, signup_day, attributes, seen_in) VALUES (?, ?, ?, ?)
    ON CONFLICT (customer_id) DO UPDATE SET
      signup_day = coalesce(excluded.signup_day, signup_day),
      attributes = CASE WHEN excluded.attributes IS NULL THEN attributes
                        ELSE json_patch(coalesce(attributes, '{}'), excluded.attributes) END
    WHERE signup_day IS NOT coalesce(excluded.signup_day, signup_day)
       OR attributes IS NOT (CASE WHEN excluded.attributes IS NULL THEN attributes
                                  ELSE json_patch(coalesce(attributes, '{}'), excluded.attributes) END)`);
  const findId = ctx.db.prepare('SELECT id FROM customers WHERE customer_id = ?').pluck();
  const spec = COLUMNS.customers;
  let f: ReturnType<typeof fieldParsers<typeof CUSTOMER_FIELDS>> | null = null;
  let attrs: { name: string; index: number }[] = [];
  const types = new Map<string, ColumnType | null>();
  const seen = createSeenKeys(ctx.db);
  let record = -1;
  let inserted = 0;
  let changed = 0;
  let unchanged = 0;
  return {
    header(cells) {
      const h = mapHeader(cells, { ...spec, allowExtra: true });
      for (const a of h.extra) {
        if (!FEATURE_COLUMN_NAME_RE.test(a.name)) {
          throw new RowProblem(
            a.name,
            null,
            `attribute column names must match ${FEATURE_COLUMN_NAME_RE.source}`
          );
        }
        types.set(a.name, null);
      }
      attrs = h.extra;
      f = fieldParsers(CUSTOMER_FIELDS, h);
    },
    record(cells) {
      record++;
      const p = f as NonNullable<typeof f>;
      const r = { customer_id: p.customer_id(cells), signup_date: p.signup_date(cells) };
      const earlier = seen.firstSeen(r.customer_id, record);
      if (earlier !== null)
        throw new RowProblem('customer_id', r.customer_id, 'appears again', earlier);
      if (ctx.resolver.isErased(r.customer_id)) {
        ctx.resolver.skippedErased++;
        return;
      }
      let json: string | null = null;
      if (attrs.length > 0) {
        const obj: Record<string, CellValue> = {};
        let any = false;
        for (const a of attrs) {
          const cell = cells[a.index] as string;
          if (cell.length > 1024)
            throw new RowProblem(a.name, cell, 'attribute value longer than 1024 characters');
          const t = typeCell(cell);
          if (t.value === null) continue;
          obj[a.name] = t.value;
          types.set(a.name, joinType(types.get(a.name) ?? null, t.type));
          any = true;
        }
        if (any) json = JSON.stringify(obj);
      }
      const signupDay = r.signup_date === null ? null : msToDay(r.signup_date);
      const existed = findId.get(r.customer_id) !== undefined;
      const info = upsert.run(r.customer_id, signupDay, json, ctx.importId);
      if (info.changes === 0) unchanged++;
      else if (existed) changed++;
      else inserted++;
      ctx.resolver.reset();
      if (ctx.noteCustomer) {
        ctx.noteCustomer(findId.get(r.customer_id) as number);
      }
    },
    finish() {
      const get = ctx.db
        .prepare('SELECT type FROM customer_attribute_columns WHERE name = ?')
        .pluck();
      const put = ctx.db.prepare(
        'INSERT OR REPLACE INTO customer_attribute_columns (name, type) VALUES (?, ?)'
      );
      for (const [name, t] of types) {
        const merged = joinType((get.get(name) as ColumnType | undefined) ?? null, t);
        put.run(name, merged ?? 'text');
      }
    },
    get inserted() {
      return inserted;
    },
    get changed() {
      return changed;
    },
    get unchanged() {
      return unchanged;
    },
  };
}
