import type Database from 'better-sqlite3';
import { ProtocolError } from '@fedmark/protocol';
import type { ColumnType } from './_values.ts';

export type { ColumnType } from './_values.ts';

export interface FeatureColumn {
  name: string;
  type: ColumnType;
}

/** Table names are also SQL identifiers (prefixed ft_), so they are restricted to a safe alphabet. */
export const FEATURE_TABLE_NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;
/** Column names become quoted SQL identifiers (prefixed c_); this alphabet makes quoting safe. */
export const FEATURE_COLUMN_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function physicalTableName(table: string): string {
  if (!FEATURE_TABLE_NAME_RE.test(table)) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `feature table name "${table.slice(0, 64)}" must match ${FEATURE_TABLE_NAME_RE.source}`
    );
  }
  return `ft_${table}`;
}

export function physicalColumnName(column: string): string {
  return `c_${column.toLowerCase()}`;
}

/** Names of the imported feature tables, sorted. */
export function listFeatureTables(db: Database.Database): string[] {
  return db.prepare('SELECT name FROM feature_tables ORDER BY name').pluck().all() as string[];
}

/** The data columns of a feature table (the id column excluded) in file order, with their types. */
export function featureTableColumns(db: Database.Database, table: string): FeatureColumn[] {
  const exists = db.prepare('SELECT 1 FROM feature_tables WHERE name = ?').get(table);
  if (!exists)
    throw new ProtocolError('NOT_FOUND', `feature table "${table.slice(0, 64)}" does not exist`);
  return db
    .prepare('SELECT name, type FROM feature_columns WHERE table_name = ? ORDER BY position')
    .all(table) as FeatureColumn[];
}

export function featureTableIdColumn(db: Database.Database, table: string): string | undefined {
  return db.prepare('SELECT id_column FROM feature_tables WHERE name = ?').pluck().get(table) as
    | string
    | undefined;
}
