/**
 * Internal test helper: the small analytics release many node tests need, customers split
 * north/south by `attr.region`, all consenting to analytics, and a segment_stats release of
 * their counts read from the node's own tables.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import {
  PolicySchema,
  SegmentQuerySchema,
  type Policy,
  type SegmentQuery,
} from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';
import { listLedger } from '../ledger/index.ts';
import { releaseSegmentStats } from '../release/index.ts';
import { createUnitSource } from '../store/index.ts';

/** The day every region query reads the data as of. */
export const REGION_AS_OF = '2026-11-01';

/**
 * Counts per `attr.region` (north, south) for purpose analytics at `epsilon`; with `monetary`,
 * also the sum of each customer's spend clipped to [0, 100].
 */
export function regionQuery(epsilon: number, o: { monetary?: boolean } = {}): SegmentQuery {
  return SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: REGION_AS_OF,
    epsilon,
    dimensions: [{ field: 'attr.region', categories: ['north', 'south'] }],
    measures: o.monetary ? [{ field: 'monetary', lower: 0, upper: 100 }] : [],
  });
}

/** Analytics may spend epsilon 10 a month: room for many test releases of 0.5 or 1. */
export const ANALYTICS_POLICY: Policy = PolicySchema.parse({
  budgets: [{ purpose: 'analytics', period: 'month', epsilon: 10 }],
});

/**
 * Imports `ids` as customers (odd positions north, even south, signed up 2020-01-01) and grants
 * each analytics consent, through CSV files written into `folder` (outside the node directory).
 */
export async function importRegionCustomers(
  db: Database.Database,
  identity: NodeIdentity,
  folder: string,
  ids: readonly string[]
): Promise<void> {
  const customers = join(folder, 'customers.csv');
  writeFileSync(
    customers,
    `customer_id,signup_date,region\n${ids.map((c, i) => `${c},2020-01-01,${i % 2 ? 'north' : 'south'}`).join('\n')}\n`
  );
  await importCsv(db, identity, { kind: 'customers', file: customers });
  const consents = join(folder, 'consents.csv');
  writeFileSync(
    consents,
    `customer_id,purpose,status,time\n${ids.map((c) => `${c},analytics,granted,2020-01-01`).join('\n')}\n`
  );
  await importCsv(db, identity, { kind: 'consents', file: consents });
}

/**
 * Releases `regionQuery(0.5)` under {@link ANALYTICS_POLICY} over the node's consenting
 * customers as job `jobId`, round 0, and returns the seq of the release ledger entry.
 */
export function releaseRegions(
  db: Database.Database,
  identity: NodeIdentity,
  jobId: string
): number {
  const source = createUnitSource(db, { purpose: 'analytics', asOf: REGION_AS_OF });
  releaseSegmentStats(
    { db, identity, policy: ANALYTICS_POLICY },
    { query: regionQuery(0.5), source, jobId, round: 0 }
  );
  return listLedger(db, { type: 'release' }).at(-1)?.seq as number;
}
