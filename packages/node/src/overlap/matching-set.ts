import type Database from 'better-sqlite3';
import {
  MatchingKeyRefused,
  ProtocolError,
  normaliseMatchingKey,
  type MatchingKeyKind,
  type MatchingKeyRefusal,
  type Policy,
  type Purpose,
} from '@fedmark/protocol';
import { CONSENT_IN_FORCE_SQL } from '../store/_consent-sql.ts';

/** This node's side of a match: normalised keys, and the customers they came from. */
export interface MatchingSet {
  /** Distinct normalised keys. */
  keys: string[];
  /** Ids of the customers whose keys are in `keys` (the release commits to them). */
  customers: string[];
  /** Customers with consent whose value was refused, by reason (never the values). */
  refused: Partial<Record<MatchingKeyRefusal, number>>;
  /** Customers without a value in the declared column. */
  missing: number;
  /** Keys held by more than one customer, merged into one. */
  duplicates: number;
}

/**
 * Builds the set a node matches with (docs/overlap.md "What a node matches"): every customer
 * with consent for the job's purpose in force now, whose declared matching column holds a value
 * that normalises under the key kind's rules. Erased customers are gone from the tables, so they
 * never take part. Refused values are counted by reason and never kept.
 */
export function matchingSet(
  db: Database.Database,
  policy: Policy,
  kind: MatchingKeyKind,
  purpose: Purpose,
  at: Date = new Date()
): MatchingSet {
  const source = policy.matching?.find((m) => m.kind === kind);
  if (!source)
    throw new ProtocolError(
      'POLICY_REFUSED',
      `this node declares no "${kind}" matching key (policy "matching"), so it takes part in no overlap on it`
    );
  const column =
    source.column === 'customer_id'
      ? 'c.customer_id'
      : // The column name is checked by the policy schema (lower-case identifier) before it gets here.
        `json_extract(c.attributes, '$.${source.column}')`;
  const rows = db
    .prepare(
      `SELECT c.customer_id AS id, ${column} AS value FROM customers c WHERE ${CONSENT_IN_FORCE_SQL}`
    )
    .all({ purpose, consentAt: at.getTime() }) as { id: string; value: unknown }[];
  const options = {
    ...(source.defaultCountryCode !== undefined
      ? { defaultCountryCode: source.defaultCountryCode }
      : {}),
    ...(source.trunkPrefix !== undefined ? { trunkPrefix: source.trunkPrefix } : {}),
  };
  const byKey = new Map<string, string>();
  const refused: Partial<Record<MatchingKeyRefusal, number>> = {};
  let missing = 0;
  let duplicates = 0;
  for (const r of rows) {
    if (r.value === null || r.value === undefined || r.value === '') {
      missing++;
      continue;
    }
    try {
      const key = normaliseMatchingKey(
        kind,
        typeof r.value === 'number' ? String(r.value) : r.value,
        options
      );
      if (byKey.has(key)) duplicates++;
      else byKey.set(key, r.id);
    } catch (err) {
      if (!(err instanceof MatchingKeyRefused)) throw err;
      refused[err.reason] = (refused[err.reason] ?? 0) + 1;
    }
  }
  return { keys: [...byKey.keys()], customers: [...byKey.values()], refused, missing, duplicates };
}
