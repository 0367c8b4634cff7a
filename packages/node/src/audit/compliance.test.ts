import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useTempNode } from '../_testing/temp-node.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import { auditNode } from './index.ts';

let dir: string;
let db: Database.Database;
useTempNode('audit-compliance-', 'node-c', (t) => ({ dir, db } = t));

function release(jobId: string, epsilonMicro: number, at: string): number {
  const when = new Date(at);
  appendLedgerEntry(db, {
    type: 'job_accepted',
    body: { jobId, round: 0, kind: 'segment_stats', purpose: 'marketing', epsilonMicro },
    at: when,
  });
  return appendLedgerEntry(db, {
    type: 'release',
    body: { jobId, round: 0, kind: 'segment_stats', epsilonMicro },
    at: when,
  }).seq;
}

describe('audit compliance report', () => {
  it('flags the release that takes a month over the policy cap (marketing: 2 epsilon per month)', async () => {
    release('m-1', 1_500_000, '2026-03-02T10:00:00.000Z');
    const over = release('m-2', 1_000_000, '2026-03-20T10:00:00.000Z');
    release('m-3', 1_000_000, '2026-04-01T10:00:00.000Z');
    const r = await auditNode({ dir, db, at: new Date('2026-04-02T00:00:00.000Z') });
    const marketing = r.compliance.purposes.find((p) => p.purpose === 'marketing');
    expect(marketing?.periods).toEqual([
      {
        period: 'month',
        periodKey: '2026-03',
        capEpsilon: 2,
        spentEpsilon: 2.5,
        // 1.5^2/2 + 1^2/2: pure releases read as zCDP too (docs/privacy.md).
        spentRho: 1.625,
        releases: 2,
        overCap: true,
        resetInPeriod: false,
        firstOverCapSeq: over,
      },
      {
        period: 'month',
        periodKey: '2026-04',
        capEpsilon: 2,
        spentEpsilon: 1,
        spentRho: 0.5,
        releases: 1,
        overCap: false,
        resetInPeriod: false,
        firstOverCapSeq: null,
      },
    ]);
    expect(r.ok).toBe(false);
    expect(r.firstFailure).toMatchObject({ check: 'budget', firstBadSeq: over });
  });

  it('an over-cap month with a recorded budget reset is reported but not a failure', async () => {
    release('m-1', 1_500_000, '2026-03-02T10:00:00.000Z');
    appendLedgerEntry(db, {
      type: 'budget_reset',
      body: { purpose: 'marketing', reason: 'new campaign year' },
      at: new Date('2026-03-10T00:00:00.000Z'),
    });
    release('m-2', 1_000_000, '2026-03-20T10:00:00.000Z');
    const r = await auditNode({ dir, db, at: new Date('2026-03-21T00:00:00.000Z') });
    expect(r.compliance.purposes.find((p) => p.purpose === 'marketing')?.periods[0]).toMatchObject({
      overCap: true,
      resetInPeriod: true,
    });
    expect(r.checks.find((c) => c.check === 'budget')?.ok).toBe(true);
  });
});
