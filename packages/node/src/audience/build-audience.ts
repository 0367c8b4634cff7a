import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import {
  ProtocolError,
  SegmentQuerySchema,
  canonicalHash,
  encodeRow,
  linearScore,
  modelFromJson,
  modelVector,
  sigmoid,
  type Canonical,
  type Model,
  type LedgerEntry,
} from '@fedmark/protocol';
import { toNumber } from '../analytics/cell-index.ts';
import { deriveContext } from '../analytics/customer-fields.ts';
import { resolveField, type RowCursor } from '../analytics/field-catalog.ts';
import type { NodeIdentity } from '../identity/identity.ts';
import { appendLedgerEntry } from '../ledger/append.ts';
import { commitUnits } from '../release/_units-commit.ts';
import { storeReleaseUnits } from '../release/release-units.ts';
import { OrderedCursor } from '../analytics/_merge.ts';
import type { TableRow } from '../analytics/types.ts';
import { pickScoringTable } from '../training/score-node.ts';
import { openFeatureCatalog, openUnitSource, type FeatureCatalog } from '../warehouse/index.ts';
import { csvCell, writeLinesAtomically } from '../decide/decisions-file.ts';
import { AudienceRuleSchema, type AudienceRule, type Condition } from './audience-rule.ts';

/**
 * Building an audience (docs/decide.md "Audiences"): the node's own customers whose consent for
 * `marketing` is in force at the moment of building (the unit source's filter: revoked and
 * erased customers are never read), from its imported data or its warehouse, and who match the
 * rule, written to a local CSV for the institution's own channels. The ledger records it like a release records its units: the
 * count, the RFC 6962 root over the customers' keyed pseudonyms (release/_units-commit.ts), the
 * rule's hash; the sorted pseudonyms are kept beside the ledger (release_units, keyed by the
 * entry's seq) so the node can later prove an erased customer was not in it. Nothing leaves.
 */

export interface AudienceResult {
  name: string;
  count: number;
  unitsRoot: string;
  ruleHash: string;
  out: string;
  entry: LedgerEntry;
}

export function parseAudienceRule(value: unknown, source = 'audience rule'): AudienceRule {
  const parsed = AudienceRuleSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? [])
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    throw new ProtocolError(
      'BAD_REQUEST',
      `${source}: field "${path || '(top level)'}": ${issue?.message ?? 'invalid'}`
    );
  }
  return parsed.data;
}

function matches(c: Condition, v: string | number | null): boolean {
  if (v === null) return false;
  if (c.in && !c.in.includes(String(v))) return false;
  if (c.min !== undefined || c.max !== undefined) {
    const n = toNumber(v);
    if (n === null || (c.min !== undefined && n < c.min) || (c.max !== undefined && n > c.max))
      return false;
  }
  return true;
}

/**
 * A `table.<t>.<c>` condition's table and column must exist (whichever backend the node reads),
 * refused before anything is read or recorded. Its value then comes from the table's rows,
 * merge-joined by customer id as a segment query joins them (a customer without a row has no
 * value, so it matches no condition on it).
 */
function checkTableField(catalog: FeatureCatalog, field: string): void {
  if (!field.startsWith('table.')) return;
  const [, table, column] = field.split('.') as [string, string, string];
  if (!catalog.columns(table).some((c) => c.name === column))
    throw new ProtocolError('BAD_REQUEST', `feature table "${table}" has no column "${column}"`);
}

export interface BuildAudienceOptions {
  db: Database.Database;
  identity: NodeIdentity;
  rule: AudienceRule;
  /** Where the rule came from: model files are relative to it. */
  ruleFile: string;
  out: string;
  /** Derived fields are as of this date (YYYY-MM-DD, rows before its 00:00 UTC). */
  asOf: string;
  /** Consent must be in force at this moment (default now). */
  consentAt?: Date;
}

export async function buildAudience(o: BuildAudienceOptions): Promise<AudienceResult> {
  const { db, rule } = o;
  const consentAt = o.consentAt ?? new Date();
  const q = SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'marketing',
    asOf: o.asOf,
    epsilon: 1,
  });
  const k = deriveContext(q);
  const catalog = openFeatureCatalog(db);
  const tables: string[] = [];
  const getters = rule.where.map((c) => {
    checkTableField(catalog, c.field);
    return { c, get: resolveField('customer', c.field, tables) };
  });
  let score: { model: Model; w: Float64Array; at: number } | null = null;
  if (rule.score) {
    const path = resolve(dirname(resolve(o.ruleFile)), rule.score.model.file);
    const model = modelFromJson(readFileSync(path, 'utf8'), path);
    const table = pickScoringTable(db, model, rule.score.model.table);
    const at = tables.includes(table) ? tables.indexOf(table) : tables.push(table) - 1;
    score = { model, w: modelVector(model), at };
  }
  // The node's own tables or its warehouse (docs/warehouse.md): customers and feature rows come
  // ordered by customer id with the marketing consent filter applied, on either backend.
  const source = openUnitSource(db, { purpose: 'marketing', asOf: o.asOf, consentAt });
  const joins = tables.map(
    (t) => new OrderedCursor<TableRow>(source.tableRows(t), `rows of table "${t}"`)
  );
  const cursor: RowCursor = { customer: null as never, row: null, tables: tables.map(() => null) };
  const ids: string[] = [];
  try {
    for (const c of source.customers()) {
      cursor.customer = c;
      cursor.row = c;
      joins.forEach((j, i) => {
        cursor.tables[i] = j.seek(c.customerId)?.values ?? null;
      });
      if (!getters.every(({ c: cond, get }) => matches(cond, get(cursor, k)))) continue;
      if (score && rule.score) {
        const row = cursor.tables[score.at];
        if (!row) continue;
        const s = sigmoid(linearScore(score.w, encodeRow(score.model.encoding, row)));
        if (rule.score.min !== undefined && s < rule.score.min) continue;
        if (rule.score.max !== undefined && s > rule.score.max) continue;
      }
      ids.push(c.customerId);
    }
  } finally {
    // Table streams may hold rows past the last customer: close them before the ledger write.
    for (const j of joins) j.close();
  }
  const units = commitUnits(o.identity.pepper, ids);
  const ruleHash = canonicalHash('audience-rule', rule as unknown as Canonical);
  // Recorded before the file is written: an activation list must never exist unrecorded.
  const entry = db.transaction(() => {
    const e = appendLedgerEntry(db, {
      type: 'audience',
      body: {
        name: rule.name,
        ruleHash,
        count: units.count,
        unitsRoot: units.root,
        asOf: o.asOf,
        consentAt: consentAt.toISOString(),
        purpose: 'marketing',
        file: basename(o.out),
      },
    });
    storeReleaseUnits(db, e.seq, units);
    return e;
  })();
  await writeLinesAtomically(o.out, ['customer_id\n', ...ids.map((id) => `${csvCell(id)}\n`)]);
  return {
    name: rule.name,
    count: units.count,
    unitsRoot: units.root,
    ruleHash,
    out: o.out,
    entry,
  };
}
