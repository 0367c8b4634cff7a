import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { PolicySchema, type Policy } from '@fedmark/protocol';
import { memoryUnitSource, type UnitSource } from '../analytics/index.ts';
import { parsePolicy } from '../policy/index.ts';
import { protocolErrorOf } from '../_testing/protocol-error.ts';
import { regionQuery } from '../_testing/region-release.ts';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { listLedger } from '../ledger/index.ts';
import { jobSpend } from '../privacy/budget.ts';
import { publicReasonOf } from '../privacy/index.ts';
import { findRelease, releaseLocalStats, releaseSegmentStats } from './index.ts';
import { minRowsRefusal } from './min-rows.ts';

/**
 * `minRowsPerJob` on the release path (docs/models.md §9 "Too few rows"): judged per job kind
 * on the rows a federated round read, off by default for statistics, never for local queries.
 */
const identity = { name: 'shop', pepper: new Uint8Array(32).fill(5) };
let db: Database.Database;
useTempDatabase('fedmark-min-rows-', (t) => ({ db } = t));

const policy = (minRowsPerJob?: unknown): Policy =>
  PolicySchema.parse({
    budgets: [{ purpose: 'analytics', period: 'month', epsilon: 10 }],
    ...(minRowsPerJob !== undefined ? { minRowsPerJob } : {}),
  });

/** `n` customers in the north, all with analytics consent (a memory source is consent-filtered). */
function customers(n: number): UnitSource {
  return memoryUnitSource({
    customers: Array.from({ length: n }, (_, i) => ({
      customerId: `C${i}`,
      signupDay: 20_000,
      attributes: { region: 'north' },
    })),
    events: [],
    asOf: '2026-11-01',
  });
}
const federated = (jobId: string, n: number) => ({
  query: regionQuery(0.5),
  source: customers(n),
  jobId,
  round: 0,
  minNodes: 3,
});

describe('minRowsPerJob', () => {
  it('defaults to 100 for train and 0 (off) for statistics; an unknown kind is refused by name', () => {
    expect(PolicySchema.parse({}).minRowsPerJob).toEqual({ segment_stats: 0, train: 100 });
    expect(PolicySchema.parse({ minRowsPerJob: { train: 50 } }).minRowsPerJob).toEqual({
      segment_stats: 0,
      train: 50,
    });
    const err = protocolErrorOf(() => parsePolicy({ minRowsPerJob: { trian: 50 } }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/^policy: field "minRowsPerJob": .*"trian"/);
    expect(protocolErrorOf(() => parsePolicy({ minRowsPerJob: { train: -1 } })).message).toMatch(
      /^policy: field "minRowsPerJob\.train": /
    );
  });

  it('is judged on the rows read: at the minimum a node takes part, below it is refused, 0 never refuses', () => {
    const p = policy({ train: 100 });
    const at = (rows: number) =>
      minRowsRefusal(p, { kind: 'train', purpose: 'model_training', node: 'n', rows });
    expect(at(100)).toBeNull();
    expect(at(99)?.message).toBe(
      'node n: 99 eligible rows < minRowsPerJob.train 100 (customers with model_training consent in force)'
    );
    expect(
      minRowsRefusal(policy({ train: 0 }), {
        kind: 'train',
        purpose: 'model_training',
        node: 'n',
        rows: 0,
      })
    ).toBeNull();
  });

  it('lets a 5-customer node into a statistics round by default: its rows are part of the total', () => {
    const r = releaseSegmentStats({ db, identity, policy: policy() }, federated('j-default', 5));
    expect(r.rows).toBe(5);
    expect(findRelease(db, 'j-default', 0)).not.toBeNull();
  });

  it('refuses a statistics round below a minimum the node set, ledgered, with nothing released or charged', () => {
    const err = protocolErrorOf(() =>
      releaseSegmentStats(
        { db, identity, policy: policy({ segment_stats: 20 }) },
        federated('j-small', 5)
      )
    );
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toBe(
      'node shop: 5 eligible rows < minRowsPerJob.segment_stats 20 (customers with analytics consent in force)'
    );
    expect(publicReasonOf(err)).toBe(
      'node shop holds fewer eligible rows than its minRowsPerJob.segment_stats 20'
    );
    expect(
      listLedger(db, { type: 'job_refused' }).map((e) => [e.body['jobId'], e.body['reason']])
    ).toEqual([['j-small', err.message]]);
    expect(findRelease(db, 'j-small', 0)).toBeNull();
    expect(jobSpend(db, 'j-small').pureMicro).toBe(0);
  });

  it("does not apply to a local query: the node's own statistics have no joint result to spoil", () => {
    const r = releaseLocalStats(
      { db, identity, policy: policy({ segment_stats: 20 }) },
      { query: regionQuery(0.5), source: customers(5) }
    );
    expect(r.rows).toBe(5);
  });
});
