/**
 * The warehouse backend (docs/warehouse.md): a node reads an institution's PostgreSQL through a
 * mapping instead of importing; only aggregates leave the node, as with the SQLite backend.
 *
 * @example
 * // <dir>/warehouse.json present: PostgreSQL; absent: the node's own SQLite tables.
 * const db = openNodeDatabase('/srv/node-a');
 * const src = openUnitSource(db, { purpose: 'analytics', asOf: '2025-01-01' });
 * for (const c of src.customers()) console.log(c.purchaseCount);
 */
export {
  openUnitSource,
  openFeatureCatalog,
  openClvSummaries,
  warehouseAccess,
  closeWarehouseConnections,
  type FeatureCatalog,
} from './open.ts';
/** `<dir>/warehouse.json`, the installed mapping. */
export {
  loadWarehouseMapping,
  saveWarehouseMapping,
  removeWarehouseMapping,
  WAREHOUSE_FILE,
} from './config-file.ts';
/** The mapping file's schema and the connection-string lookup. */
export {
  WarehouseMappingSchema,
  parseWarehouseMapping,
  resolveConnectionString,
  type WarehouseMapping,
  type WarehouseMappingInput,
} from './mapping.ts';
/** Checks a mapping against the server: every mapped table and column readable. */
export { checkWarehouse, type WarehouseCheck } from './check.ts';
/** The backend itself, for callers that hold a connection of their own. */
export { createWarehouseUnitSource, type NodeOverlay } from './source.ts';
export { PgBridge, WarehouseError } from './_bridge.ts';
