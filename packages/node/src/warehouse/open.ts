/**
 * Which backend a node's analytics read: `<dir>/warehouse.json` present means the institution's
 * PostgreSQL (docs/warehouse.md), absent means the node's own SQLite tables. Callers hand over
 * the node database they already hold; the node directory is where that database lives. The
 * ledger, budgets, keys, erasure tombstones and the node's own consent records stay in SQLite
 * whichever backend is chosen.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { ProtocolError, PurposeSchema, type Purpose } from '@fedmark/protocol';
import type { UnitSource } from '../analytics/types.ts';
import { loadIdentity, pseudonymFor } from '../identity/index.ts';
import {
  featureTableColumns,
  listFeatureTables,
  NODE_DB_FILE,
  createUnitSource,
  type FeatureColumn,
  type UnitSourceOptions,
} from '../store/index.ts';
import { PgBridge } from './_bridge.ts';
import { loadWarehouseMapping, WAREHOUSE_FILE } from './config-file.ts';
import { resolveConnectionString, type WarehouseMapping } from './mapping.ts';
import { createWarehouseUnitSource, type NodeOverlay } from './source.ts';
import { scoreSummaries, type ClvSummary } from '../clv/score-summaries.ts';
import { warehouseClvSummaries } from './clv-summaries.ts';

/** The node directory of a database opened by openNodeDatabase, or null (in-memory, elsewhere). */
function nodeDirOf(db: Database.Database): string | null {
  const file = db.name;
  if (!file || file === ':memory:' || basename(file) !== NODE_DB_FILE) return null;
  return dirname(file);
}

const cached = new Map<string, { mtimeMs: number; mapping: WarehouseMapping }>();
const bridges = new Map<string, PgBridge>();

function mappingFor(dir: string): WarehouseMapping | null {
  const file = join(dir, WAREHOUSE_FILE);
  if (!existsSync(file)) {
    cached.delete(dir);
    return null;
  }
  const mtimeMs = statSync(file).mtimeMs;
  const hit = cached.get(dir);
  if (hit && hit.mtimeMs === mtimeMs) return hit.mapping;
  const mapping = loadWarehouseMapping(dir) as WarehouseMapping;
  cached.set(dir, { mtimeMs, mapping });
  return mapping;
}

/**
 * One connection worker per (node, connection string), kept for the process's life: a node
 * answers many queries and UnitSource has no close(). The worker is unref'd, so it never keeps
 * the process alive, and its pool closes idle connections after 10 s.
 */
export function warehouseBridge(dir: string, mapping: WarehouseMapping): PgBridge {
  const url = resolveConnectionString(mapping.connection);
  const key = `${dir}\0${url}\0${mapping.batchRows}\0${mapping.batchTimeoutMs}`;
  let b = bridges.get(key);
  if (!b) {
    b = new PgBridge(url, { batchRows: mapping.batchRows, batchTimeoutMs: mapping.batchTimeoutMs });
    bridges.set(key, b);
  }
  return b;
}

/** Closes every warehouse connection this process opened (tests, CLI commands that finish). */
export function closeWarehouseConnections(): void {
  for (const b of bridges.values()) b.end();
  bridges.clear();
}

/**
 * What the node's own SQLite adds to a warehouse read: its consent records for the purpose
 * (granted or revoked through `fedmark node consent` or the API) and its erasure tombstones.
 * Tombstones hold only a keyed pseudonym, so erased customers are recognised by computing each
 * streamed customer's pseudonym with the node's pepper, which never leaves the node.
 */
function nodeOverlay(db: Database.Database, dir: string, opts: UnitSourceOptions): NodeOverlay {
  const purpose = PurposeSchema.parse(opts.purpose);
  const consents = db
    .prepare(
      `SELECT c.customer_id AS customerId, k.time AS time, k.status AS status
       FROM consents k JOIN customers c ON c.id = k.customer WHERE k.purpose = ?`
    )
    .all(purpose) as NodeOverlay['consents'];
  const erased = new Set(
    db.prepare('SELECT pseudonym FROM erased_customers').pluck().all() as string[]
  );
  if (erased.size === 0) return { consents };
  const identity = loadIdentity(dir);
  return { consents, isErased: (id) => erased.has(pseudonymFor(identity, id)) };
}

/**
 * The UnitSource for one query on this node: the warehouse when the node has a mapping, else
 * store/unit-source.ts over `db`. Same options, same contract.
 */
export function openUnitSource(db: Database.Database, opts: UnitSourceOptions): UnitSource {
  const dir = nodeDirOf(db);
  const mapping = dir === null ? null : mappingFor(dir);
  if (dir === null || mapping === null) return createUnitSource(db, opts);
  return createWarehouseUnitSource(
    warehouseBridge(dir, mapping),
    mapping,
    opts,
    nodeOverlay(db, dir, opts)
  );
}

/**
 * What a reader that is not a UnitSource needs of a warehouse node (decide/run.ts): the
 * connection, the mapping and the node's overlay for a purpose at a moment; null for a node that
 * reads its own SQLite tables.
 */
export function warehouseAccess(db: Database.Database): {
  bridge: PgBridge;
  mapping: WarehouseMapping;
  overlay: (purpose: Purpose, consentAt: Date) => NodeOverlay;
} | null {
  const dir = nodeDirOf(db);
  const mapping = dir === null ? null : mappingFor(dir);
  if (dir === null || mapping === null) return null;
  return {
    bridge: warehouseBridge(dir, mapping),
    mapping,
    overlay: (purpose, consentAt) =>
      nodeOverlay(db, dir, { purpose, asOf: '1970-01-01', consentAt }),
  };
}

/**
 * CLV summaries (docs/clv.md): purchases up to `endDay`, from the warehouse when the node has a
 * mapping, else from the node's own events. A clv round passes `consent` (only customers whose
 * consent for the purpose is in force at that moment); scoring passes null and reads every
 * customer, as on SQLite (explicit, so a caller cannot drop the filter by a misspelt option).
 */
export function openClvSummaries(
  db: Database.Database,
  o: { endDay: number; daysPerUnit: number; consent: { purpose: Purpose; at: Date } | null }
): ClvSummary[] {
  const wh = warehouseAccess(db);
  if (wh === null) return scoreSummaries(db, o.endDay, o.daysPerUnit, o.consent ?? undefined);
  // Without a consent filter the overlay serves the erasures only (its purpose does not matter).
  const overlay = wh.overlay(o.consent?.purpose ?? 'analytics', o.consent?.at ?? new Date());
  return warehouseClvSummaries(wh.bridge, wh.mapping, o, overlay);
}

/** The feature tables a query can name and their columns, from whichever backend is in use. */
export interface FeatureCatalog {
  tables(): string[];
  columns(table: string): FeatureColumn[];
}

export function openFeatureCatalog(db: Database.Database): FeatureCatalog {
  const dir = nodeDirOf(db);
  const mapping = dir === null ? null : mappingFor(dir);
  if (mapping === null)
    return { tables: () => listFeatureTables(db), columns: (t) => featureTableColumns(db, t) };
  return {
    tables: () => mapping.tables.map((t) => t.name).sort(),
    columns: (table) => {
      const t = mapping.tables.find((x) => x.name === table);
      if (!t)
        throw new ProtocolError(
          'NOT_FOUND',
          `feature table "${table.slice(0, 64)}" does not exist`
        );
      return t.columns.map((c) => ({ name: c.name, type: c.type }));
    },
  };
}
