import {
  FEATURE_COLUMN_NAME_RE,
  physicalColumnName,
  physicalTableName,
  featureTableIdColumn,
} from '../store/feature-tables.ts';
import { joinType, typeCell, type CellValue, type ColumnType } from '../store/_values.ts';
import type Database from 'better-sqlite3';
import { ProtocolError } from '@fedmark/protocol';
import { RowProblem } from './_csv-stream.ts';
import { CustomerIdSchema } from './formats.ts';
import { mapHeader } from './_header.ts';
import type { KindWriter, WriterContext } from './_writer.ts';
import { createSeenKeys } from './_seen-keys.ts';

/**
 * Writes a customer-level feature table: one row per customer (the declared id column), any
 * other columns, types inferred as the join over all values (store/_values.ts) and kept in
 * feature_columns. Physical columns are untyped (BLOB affinity) so SQLite keeps each value as
 * bound; readers coerce to the declared type. A re-imported row with equal values is unchanged;
 * a row with new values replaces the old ones for the columns the file has. The id is the row's
 * key, so the same id twice in one file is refused rather than letting the later row win.
 */
export function tableWriter(ctx: WriterContext, table: string, idColumn: string): KindWriter {
  const phys = physicalTableName(table);
  const { db } = ctx;
  const declaredId = featureTableIdColumn(db, table);
  if (declaredId !== undefined && declaredId.toLowerCase() !== idColumn.toLowerCase()) {
    throw new ProtocolError(
      'IMPORT_INVALID',
      `feature table "${table}" was imported with id column "${declaredId}", not "${idColumn}"`
    );
  }
  let columns: { name: string; index: number; phys: string }[] = [];
  let idIndex = -1;
  const types = new Map<string, ColumnType | null>();
  let upsert: Database.Statement<unknown[]> | null = null;
  let exists: Database.Statement<unknown[]> | null = null;
  const seen = createSeenKeys(db);
  let record = -1;
  let inserted = 0;
  let changed = 0;
  let unchanged = 0;
  return {
    header(cells) {
      const h = mapHeader(cells, {
        required: [idColumn.toLowerCase()],
        optional: [],
        allowExtra: true,
      });
      idIndex = h.index.get(idColumn.toLowerCase()) as number;
      for (const c of h.extra) {
        if (!FEATURE_COLUMN_NAME_RE.test(c.name))
          throw new RowProblem(
            c.name,
            null,
            `column names must match ${FEATURE_COLUMN_NAME_RE.source}`
          );
      }
      if (h.extra.length === 0)
        throw new RowProblem(
          null,
          null,
          'a feature table needs at least one column besides the id column'
        );
      columns = h.extra.map((c) => ({ ...c, phys: physicalColumnName(c.name) }));
      db.prepare('INSERT OR IGNORE INTO feature_tables (name, id_column) VALUES (?, ?)').run(
        table,
        idColumn
      );
      db.exec(
        `CREATE TABLE IF NOT EXISTS "${phys}" (customer INTEGER PRIMARY KEY REFERENCES customers(id), seen_in INTEGER NOT NULL)`
      );
      const existing = new Set(
        (db.prepare(`SELECT name FROM pragma_table_info('${phys}')`).pluck().all() as string[]).map(
          (n) => n.toLowerCase()
        )
      );
      const known = new Map(
        (
          db.prepare('SELECT name, type FROM feature_columns WHERE table_name = ?').all(table) as {
            name: string;
            type: ColumnType;
          }[]
        ).map((r) => [r.name.toLowerCase(), r] as const)
      );
      let position =
        (db
          .prepare('SELECT coalesce(max(position), -1) FROM feature_columns WHERE table_name = ?')
          .pluck()
          .get(table) as number) + 1;
      for (const c of columns) {
        const prior = known.get(c.name.toLowerCase());
        types.set(c.name, prior ? prior.type : null);
        if (prior && prior.name !== c.name) c.name = prior.name;
        if (!existing.has(c.phys)) db.exec(`ALTER TABLE "${phys}" ADD COLUMN "${c.phys}"`);
        if (!prior)
          db.prepare(
            'INSERT INTO feature_columns (table_name, position, name, type) VALUES (?, ?, ?, ?)'
          ).run(table, position++, c.name, 'text');
      }
      const names = columns.map((c) => `"${c.phys}"`);
      upsert = db.prepare(`
        INSERT INTO "${phys}" (customer, seen_in, ${names.join(', ')}) VALUES (?, ?, ${names.map(() => '?').join(', ')})
        ON CONFLICT (customer) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(', ')}
        WHERE ${names.map((n) => `${n} IS NOT excluded.${n}`).join(' OR ')}`);
      exists = db.prepare(`SELECT 1 FROM "${phys}" WHERE customer = ?`).pluck();
    },
    record(cells) {
      record++;
      const rawId = cells[idIndex] as string;
      const id = CustomerIdSchema.safeParse(rawId);
      if (!id.success)
        throw new RowProblem(idColumn, rawId, id.error.issues[0]?.message ?? 'invalid customer id');
      const values: (CellValue | bigint)[] = [];
      for (const c of columns) {
        const cell = cells[c.index] as string;
        if (cell.length > 1024)
          throw new RowProblem(c.name, cell, 'value longer than 1024 characters');
        const t = typeCell(cell);
        types.set(c.name, joinType(types.get(c.name) ?? null, t.type));
        // Bind integers as BigInt so SQLite stores INTEGER, not REAL (better-sqlite3 binds numbers as REAL).
        values.push(t.type === 'integer' ? BigInt(t.value as number) : t.value);
      }
      const earlier = seen.firstSeen(id.data, record);
      if (earlier !== null) throw new RowProblem(idColumn, id.data, 'appears again', earlier);
      const customer = ctx.resolver.resolve(id.data);
      if (customer === null) return;
      ctx.noteCustomer?.(customer);
      const existed = (exists as NonNullable<typeof exists>).get(customer) !== undefined;
      if (
        (upsert as NonNullable<typeof upsert>).run(customer, ctx.importId, ...values).changes === 0
      )
        unchanged++;
      else if (existed) changed++;
      else inserted++;
    },
    finish() {
      // `types` started from each column's prior type (null for new columns), so this is the
      // join over all imports; a new column with no value yet is text.
      const put = db.prepare(
        'UPDATE feature_columns SET type = ? WHERE table_name = ? AND name = ?'
      );
      for (const [name, t] of types) put.run(t ?? 'text', table, name);
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
