/**
 * The node's SQLite store (docs/node-data.md): one file `<dir>/node.db`, WAL, secure_delete.
 *
 * @example
 * const db = openNodeDatabase('/srv/node-a');
 * const src = createUnitSource(db, { purpose: 'analytics', asOf: '2025-01-01' });
 * for (const c of src.customers()) console.log(c.purchaseCount);
 */
export { checkNodeDatabase, openNodeDatabase, NODE_DB_FILE } from './database.ts';
/** Consent- and asOf-filtered read access for analytics (analytics/types.ts UnitSource). */
export { createUnitSource, asOfToMs, type UnitSourceOptions } from './unit-source.ts';
/** Imported feature tables and their typed columns. */
export {
  listFeatureTables,
  featureTableColumns,
  type FeatureColumn,
  type ColumnType,
} from './feature-tables.ts';
