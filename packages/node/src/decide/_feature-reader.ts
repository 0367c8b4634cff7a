/**
 * Internal: point reads of one customer's feature-table row by the table's integer primary key
 * (store/feature-tables.ts), for model scores and a table-based CLV field. One prepared
 * statement per table, the columns it needs only.
 */
import type Database from 'better-sqlite3';
import {
  ProtocolError,
  encodeRow,
  linearScore,
  modelVector,
  sigmoid,
  type Model,
} from '@fedmark/protocol';
import { pickScoringTable } from '../training/score-node.ts';
import {
  featureTableColumns,
  physicalColumnName,
  physicalTableName,
} from '../store/feature-tables.ts';
import { coerceCell, type CellValue, type ColumnType } from '../store/_values.ts';

export type RowReader = (customer: number) => Record<string, CellValue> | null;

/** A reader of `columns` of `table` (all of them must exist). */
export function featureRowReader(
  db: Database.Database,
  table: string,
  columns: readonly string[]
): RowReader {
  const declared = new Map(featureTableColumns(db, table).map((c) => [c.name, c.type]));
  const types: ColumnType[] = columns.map((c) => {
    const t = declared.get(c);
    if (t === undefined)
      throw new ProtocolError('BAD_REQUEST', `feature table "${table}" has no column "${c}"`);
    return t;
  });
  const select = columns.map((c, i) => `"${physicalColumnName(c)}" AS v${i}`).join(', ');
  const stmt = db
    .prepare(`SELECT ${select || '1'} FROM "${physicalTableName(table)}" WHERE customer = ?`)
    .raw();
  return (customer) => {
    const r = stmt.get(customer) as unknown[] | undefined;
    if (!r) return null;
    const out: Record<string, CellValue> = {};
    columns.forEach((c, i) => {
      out[c] = coerceCell(r[i], types[i] as ColumnType);
    });
    return out;
  };
}

/** A model's probability for one customer, or null without a feature row. */
export function modelScorer(
  db: Database.Database,
  model: Model,
  table?: string
): (customer: number) => number | null {
  const read = featureRowReader(
    db,
    pickScoringTable(db, model, table),
    model.encoding.map((f) => f.column)
  );
  const w = modelVector(model);
  return (customer) => {
    const row = read(customer);
    return row === null ? null : sigmoid(linearScore(w, encodeRow(model.encoding, row)));
  };
}
