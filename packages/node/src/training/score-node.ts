import type Database from 'better-sqlite3';
import {
  ProtocolError,
  PurposeSchema,
  scoreRow,
  type Model,
  type Purpose,
} from '@fedmark/protocol';
import { openFeatureCatalog, openUnitSource } from '../warehouse/index.ts';

/**
 * Scores a node's own customers with a model file (`fedmark node score`): nothing leaves the
 * node. Only customers whose consent for `purpose` is in force at `consentAt` are scored
 * (scores are for acting on the customers, so by default the purpose is `marketing`).
 */

/** The feature table to score: `table`, or the only table holding every model column. */
export function pickScoringTable(db: Database.Database, model: Model, table?: string): string {
  const needed = model.encoding.map((f) => f.column);
  const catalog = openFeatureCatalog(db);
  const tables = catalog.tables();
  const missing = (t: string): string[] => {
    const cols = catalog.columns(t).map((c) => c.name);
    return needed.filter((c) => !cols.includes(c));
  };
  if (table !== undefined) {
    if (!tables.includes(table))
      throw new ProtocolError(
        'NOT_FOUND',
        `this node has no feature table "${table}" (tables: ${tables.join(', ') || 'none'})`
      );
    const gone = missing(table);
    if (gone.length > 0)
      throw new ProtocolError(
        'BAD_REQUEST',
        `table "${table}" lacks column(s) ${gone.join(', ')} that model "${model.name}" uses`
      );
    return table;
  }
  const fits = tables.filter((t) => missing(t).length === 0);
  if (fits.length === 1) return fits[0] as string;
  if (fits.length === 0)
    throw new ProtocolError(
      'BAD_REQUEST',
      `no feature table of this node has every column model "${model.name}" uses (${needed.join(', ')})`
    );
  throw new ProtocolError(
    'BAD_REQUEST',
    `several feature tables fit model "${model.name}" (${fits.join(', ')}): name one with --table`
  );
}

export interface NodeScores {
  table: string;
  rows: number;
  /** `customer_id,score` lines with a header. */
  csv: string;
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function scoreNodeCustomers(
  db: Database.Database,
  model: Model,
  opts: { table?: string; purpose: Purpose; consentAt?: Date }
): NodeScores {
  const purpose = PurposeSchema.parse(opts.purpose);
  const table = pickScoringTable(db, model, opts.table);
  const at = opts.consentAt ?? new Date();
  const source = openUnitSource(db, {
    purpose,
    asOf: at.toISOString().slice(0, 10),
    consentAt: at,
  });
  const out = ['customer_id,score'];
  for (const r of source.tableRows(table))
    out.push(`${csvCell(r.customerId)},${scoreRow(model, r.values)}`);
  return { table, rows: out.length - 1, csv: `${out.join('\n')}\n` };
}
