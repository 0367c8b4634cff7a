/**
 * `<dir>/warehouse.json`: the installed mapping (`fedmark node warehouse set`). It holds no
 * secret (the connection string stays in the environment or its own file), but it is written
 * owner-only like the rest of the node directory.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from '@fedmark/protocol';
import { parseWarehouseMapping, type WarehouseMapping } from './mapping.ts';

/** The mapping file inside a node directory. */
export const WAREHOUSE_FILE = 'warehouse.json';

/** The node's warehouse mapping, or null when the node reads its own SQLite tables. */
export function loadWarehouseMapping(dir: string): WarehouseMapping | null {
  const file = join(dir, WAREHOUSE_FILE);
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ProtocolError('BAD_REQUEST', `${file}: not valid JSON`);
  }
  return parseWarehouseMapping(json, file);
}

/** Validates and installs a mapping atomically (write, then rename over the old one). */
export function saveWarehouseMapping(dir: string, mapping: unknown): WarehouseMapping {
  const m = parseWarehouseMapping(mapping);
  const file = join(dir, WAREHOUSE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return m;
}

/** Removes the mapping; false when none was installed. */
export function removeWarehouseMapping(dir: string): boolean {
  const file = join(dir, WAREHOUSE_FILE);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}
