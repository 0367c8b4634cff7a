import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import {
  ProtocolError,
  SegmentQuerySchema,
  canonicalHash,
  modelFromJson,
  type Canonical,
  type LedgerEntry,
} from '@fedmark/protocol';
import { toNumber } from '../analytics/cell-index.ts';
import { deriveContext } from '../analytics/customer-fields.ts';
import { resolveField, type RowCursor } from '../analytics/field-catalog.ts';
import type { NodeIdentity } from '../identity/identity.ts';
import { appendLedgerEntry } from '../ledger/append.ts';
import { commitUnits } from '../release/_units-commit.ts';
import { storeReleaseUnits } from '../release/release-units.ts';
import { createUnitSource } from '../store/unit-source.ts';
import { featureRowReader, modelScorer } from '../decide/_feature-reader.ts';
import { csvCell, writeLinesAtomically } from '../decide/decisions-file.ts';
import { AudienceRuleSchema, type AudienceRule, type Condition } from './audience-rule.ts';

/**
 * Building an audience (docs/decide.md "Audiences"): the node's own customers whose consent for
 * `marketing` is in force at the moment of building (the unit source's filter: revoked and
 * erased customers are never read) and who match the rule, written to a local CSV for the
 * institution's own channels. The ledger records it like a release records its units: the
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

type Getter = (cursor: RowCursor, k: ReturnType<typeof deriveContext>) => string | number | null;

/**
 * A condition's value for the current customer: a derived customer field through the segment
 * field catalog, or a feature table's column by a point read of the customer's row (a customer
 * without a row has no value, so it matches no condition on it). An unknown table or column is
 * refused here, before anything is recorded.
 */
function conditionGetter(
  db: Database.Database,
  field: string,
  rowOf: (customerId: string) => number
): Getter {
  if (!field.startsWith('table.')) return resolveField('customer', field, []);
  const [, table, column] = field.split('.') as [string, string, string];
  const read = featureRowReader(db, table, [column]);
  return (cursor) => read(rowOf(cursor.customer.customerId))?.[column] ?? null;
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
  const rowid = db.prepare('SELECT id FROM customers WHERE customer_id = ?').pluck();
  let current: { id: string; row: number } | null = null;
  const rowOf = (customerId: string): number => {
    if (current?.id !== customerId)
      current = { id: customerId, row: rowid.get(customerId) as number };
    return current.row;
  };
  const getters = rule.where.map((c) => ({ c, get: conditionGetter(db, c.field, rowOf) }));
  let score: ((customer: number) => number | null) | null = null;
  if (rule.score) {
    const path = resolve(dirname(resolve(o.ruleFile)), rule.score.model.file);
    const model = modelFromJson(readFileSync(path, 'utf8'), path);
    score = modelScorer(db, model, rule.score.model.table);
  }
  const source = createUnitSource(db, { purpose: 'marketing', asOf: o.asOf, consentAt });
  const cursor: RowCursor = { customer: null as never, row: null, tables: [] };
  const ids: string[] = [];
  for (const c of source.customers()) {
    cursor.customer = c;
    cursor.row = c;
    if (!getters.every(({ c: cond, get }) => matches(cond, get(cursor, k)))) continue;
    if (score && rule.score) {
      const s = score(rowOf(c.customerId));
      if (s === null) continue;
      if (rule.score.min !== undefined && s < rule.score.min) continue;
      if (rule.score.max !== undefined && s > rule.score.max) continue;
    }
    ids.push(c.customerId);
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
