import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import {
  PolicySchema,
  SegmentQuerySchema,
  type Policy,
  type SegmentQuery,
} from '@fedmark/protocol';
import { layoutOf } from '@fedmark/protocol';
import { regionQuery } from '../_testing/region-release.ts';
import { protocolErrorOf as errorOf } from '../_testing/protocol-error.ts';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { createUnitSource } from '../store/index.ts';
import { ledgerSize, listLedger, verifyLedger } from '../ledger/index.ts';
import { memoryUnitSource, type UnitSource } from '../analytics/index.ts';
import type { EventRow } from '../analytics/types.ts';
import { budgetStatus } from '../privacy/budget.ts';
import { ensurePrivacySchema } from '../privacy/schema.ts';
import { findRelease, releaseLocalStats, releaseSegmentStats, releaseValuesHash } from './index.ts';

const AT = new Date('2026-11-22T10:00:00Z');
const identity = { name: 'node-a', pepper: new Uint8Array(32).fill(3) };

let db: Database.Database;
useTempDatabase('fedmark-release-', (t) => ({ db } = t));

const query: SegmentQuery = regionQuery(1, { monetary: true });

/** 12 customers in the north (spend 10 each, one canary spends 50), 3 in the south. */
function source(opts: { without?: string } = {}): UnitSource {
  const ids = [
    ...Array.from({ length: 11 }, (_, i) => `N${i}`),
    'CANARY-7731',
    'S0',
    'S1',
    'S2',
  ].filter((id) => id !== opts.without);
  const customers = ids.map((customerId) => ({
    customerId,
    signupDay: 20_000,
    attributes: { region: customerId.startsWith('S') ? 'south' : 'north' },
  }));
  const events: EventRow[] = ids.map((customerId) => ({
    customerId,
    time: Date.parse('2026-10-01T12:00:00Z'),
    type: 'purchase',
    amount: customerId === 'CANARY-7731' ? 50 : 10,
    channel: null,
    category: null,
  }));
  return memoryUnitSource({ customers, events, asOf: '2026-11-01' });
}

const testPolicy: Policy = PolicySchema.parse({
  testOnlyAllowNoiseOff: true,
  budgets: [{ purpose: 'analytics', period: 'month', epsilon: 10 }],
});
const ctx = (policy: Policy = testPolicy) => ({ db, identity, policy });

describe('releaseSegmentStats', () => {
  it('suppresses every slot of cells under k and keeps the total (noise off, test policy)', () => {
    const r = releaseSegmentStats(ctx(), {
      query,
      source: source(),
      jobId: 'job-1',
      round: 0,
      noise: 'off-test-only',
      at: AT,
    });
    // Layout: count[north, south, other], total, sum:monetary[north, south, other].
    expect(r.values).toEqual([12n, 0n, 0n, 15n, 160n, 0n, 0n]);
    expect(r.variance).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(r.suppressedCells).toBe(2);
    expect(r.rows).toBe(15);
    expect(r.reused).toBe(false);
    const release = listLedger(db, { type: 'release' })[0];
    expect(release?.body).toMatchObject({
      noise: 'off-test-only',
      suppressedCells: 2,
      minCohort: 10,
    });
  });

  it('excludes a customer without consent: the counts change', () => {
    const all = releaseSegmentStats(ctx(), {
      query,
      source: source(),
      jobId: 'job-a',
      round: 0,
      noise: 'off-test-only',
      at: AT,
    });
    const fewer = releaseSegmentStats(ctx(), {
      query,
      source: source({ without: 'N3' }),
      jobId: 'job-b',
      round: 0,
      noise: 'off-test-only',
      at: AT,
    });
    expect(all.values[0]).toBe(12n);
    expect(fewer.values[0]).toBe(11n);
    expect(fewer.values[4]).toBe(150n);
  });

  it('counts only customers whose consent is in force in the real store', () => {
    const insert = db.prepare(
      'INSERT INTO customers (customer_id, signup_day, attributes) VALUES (?, 20000, ?)'
    );
    const consent = db.prepare(
      "INSERT INTO consents (customer, purpose, time, status, source) VALUES (?, 'analytics', ?, ?, 'test')"
    );
    for (let i = 0; i < 12; i++) {
      const id = Number(insert.run(`C${i}`, JSON.stringify({ region: 'north' })).lastInsertRowid);
      consent.run(id, Date.parse('2026-01-01'), 'granted');
      if (i === 0) consent.run(id, Date.parse('2026-06-01'), 'revoked');
    }
    const src = createUnitSource(db, { purpose: 'analytics', asOf: '2026-11-01' });
    const counting = SegmentQuerySchema.parse({
      version: 1,
      kind: 'segment_stats',
      purpose: 'analytics',
      asOf: '2026-11-01',
      epsilon: 1,
    });
    const r = releaseSegmentStats(ctx(), {
      query: counting,
      source: src,
      jobId: 'job-store',
      round: 0,
      noise: 'off-test-only',
      at: AT,
    });
    // count[all], total: 12 customers, one revoked before asOf.
    expect(r.values).toEqual([11n, 11n]);
  });

  it('refuses noise off under the default policy, records why, and charges nothing', () => {
    const policy = PolicySchema.parse({});
    const err = errorOf(() =>
      releaseSegmentStats(ctx(policy), {
        query,
        source: source(),
        jobId: 'job-x',
        round: 0,
        noise: 'off-test-only',
        at: AT,
      })
    );
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toMatch(/testOnlyAllowNoiseOff/);
    const [refused] = listLedger(db, { type: 'job_refused' });
    expect(refused?.body).toMatchObject({ jobId: 'job-x', round: 0, reason: err.message });
    expect(findRelease(db, 'job-x', 0)).toBeNull();
    expect(budgetStatus(db, policy, 'analytics', AT)[0]?.spentMicro).toBe(0);
  });

  it('noises every slot, records job_accepted and release entries, and charges epsilon once', () => {
    const r = releaseSegmentStats(ctx(), {
      query,
      source: source(),
      jobId: 'job-n',
      round: 0,
      minNodes: 3,
      at: AT,
    });
    expect(r.epsilonMicro).toBe(1_000_000);
    // Every slot was noised; a cell whose NOISY count fell under k is then zeroed with variance 0
    // (suppression as post-processing), so each cell is either fully noised or fully suppressed.
    const countBlock = layoutOf(query).blocks.find((b) => b.kind === 'count')!;
    const cells = layoutOf(query).cells.length;
    for (let cell = 0; cell < cells; cell++) {
      const noisyCount = r.values[countBlock.offset + cell]!;
      const slots = layoutOf(query)
        .blocks.filter((b) => b.kind !== 'total')
        .map((b) => b.offset + cell);
      if (noisyCount === 0n && slots.every((i) => r.variance[i] === 0)) continue; // suppressed
      expect(slots.every((i) => r.variance[i]! > 0)).toBe(true);
      expect(noisyCount >= 10n).toBe(true);
    }
    const totalSlot = layoutOf(query).blocks.find((b) => b.kind === 'total')!.offset;
    expect(r.variance[totalSlot]!).toBeGreaterThan(0);
    expect(r.values).not.toEqual([12n, 0n, 0n, 15n, 160n, 0n, 0n]);
    const types = listLedger(db).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['job_accepted', 'release']);
    const body = listLedger(db, { type: 'release' })[0]?.body;
    expect(body).toMatchObject({
      jobId: 'job-n',
      round: 0,
      layoutHash: r.layoutHash,
      valuesHash: releaseValuesHash(r.values),
      epsilonMicro: 1_000_000,
      noise: 'on',
      noiseScales: [
        { block: 'count', epsilonMicro: 333_334, scale: '1000000/333334' },
        { block: 'total', epsilonMicro: 333_333, scale: '1000000/333333' },
        { block: 'sum:monetary', epsilonMicro: 333_333, scale: '100000000/333333' },
      ],
    });
    expect(budgetStatus(db, testPolicy, 'analytics', AT)[0]?.spentMicro).toBe(1_000_000);
    expect(verifyLedger(db).ok).toBe(true);
    // Egress hygiene: neither the release nor the ledger carries a customer id.
    const text =
      JSON.stringify({ ...r, values: r.values.map(String) }) + JSON.stringify(listLedger(db));
    expect(text).not.toContain('CANARY-7731');
  });

  it('is idempotent per job round: a re-send returns the same values and is not charged twice', () => {
    const first = releaseSegmentStats(ctx(), {
      query,
      source: source(),
      jobId: 'job-r',
      round: 0,
      at: AT,
    });
    const size = ledgerSize(db);
    const again = releaseSegmentStats(ctx(), {
      query,
      source: {
        ...source(),
        customers: () => {
          throw new Error('data must not be read');
        },
      },
      jobId: 'job-r',
      round: 0,
      at: AT,
    });
    expect(again.reused).toBe(true);
    expect(again.values).toEqual(first.values);
    expect(again.variance).toEqual(first.variance);
    expect(ledgerSize(db)).toBe(size);
    expect(budgetStatus(db, testPolicy, 'analytics', AT)[0]?.spentMicro).toBe(1_000_000);
    const other = SegmentQuerySchema.parse({ ...query, dimensions: [] });
    expect(
      errorOf(() =>
        releaseSegmentStats(ctx(), {
          query: other,
          source: source(),
          jobId: 'job-r',
          round: 0,
          at: AT,
        })
      ).code
    ).toBe('CONFLICT');
  });

  it('checks the budget before touching data and says how much is left', () => {
    const policy = PolicySchema.parse({
      budgets: [{ purpose: 'analytics', period: 'month', epsilon: 1.5 }],
    });
    releaseSegmentStats(ctx(policy), { query, source: source(), jobId: 'job-1', round: 0, at: AT });
    const untouchable: UnitSource = {
      customers: () => {
        throw new Error('data must not be read');
      },
      events: () => {
        throw new Error('data must not be read');
      },
      touches: () => {
        throw new Error('data must not be read');
      },
      tableRows: () => {
        throw new Error('data must not be read');
      },
    };
    const err = errorOf(() =>
      releaseSegmentStats(ctx(policy), {
        query,
        source: untouchable,
        jobId: 'job-2',
        round: 0,
        at: AT,
      })
    );
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.message).toBe('analytics budget for 2026-11 has 0.5 left; this query needs 1');
    expect(listLedger(db, { type: 'job_refused' })[0]?.body).toMatchObject({
      jobId: 'job-2',
      reason: err.message,
    });
  });

  it('writes nothing when the release transaction fails mid-way', () => {
    ensurePrivacySchema(db);
    db.exec(
      "CREATE TEMP TRIGGER fail_release BEFORE INSERT ON privacy_releases BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END;"
    );
    const size = ledgerSize(db);
    expect(() =>
      releaseSegmentStats(ctx(), { query, source: source(), jobId: 'job-f', round: 0, at: AT })
    ).toThrow(/disk full/);
    expect(ledgerSize(db)).toBe(size);
    expect(budgetStatus(db, testPolicy, 'analytics', AT)[0]?.spentMicro).toBe(0);
    expect(findRelease(db, 'job-f', 0)).toBeNull();
  });

  it('enforces maxEpsilonPerJob across rounds and the minNodes floor', () => {
    const policy = PolicySchema.parse({ maxEpsilonPerJob: 1.5 });
    releaseSegmentStats(ctx(policy), {
      query,
      source: source(),
      jobId: 'job-m',
      round: 0,
      minNodes: 3,
      at: AT,
    });
    const err = errorOf(() =>
      releaseSegmentStats(ctx(policy), {
        query,
        source: source(),
        jobId: 'job-m',
        round: 1,
        minNodes: 3,
        at: AT,
      })
    );
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toMatch(/on top of 1 already spent by this job/);
    expect(
      errorOf(() =>
        releaseSegmentStats(ctx(policy), {
          query,
          source: source(),
          jobId: 'job-k',
          round: 0,
          minNodes: 2,
          at: AT,
        })
      ).message
    ).toMatch(/minNodes/);
  });

  it('refuses malformed job ids and rounds before anything else', () => {
    expect(
      errorOf(() =>
        releaseSegmentStats(ctx(), { query, source: source(), jobId: '../etc', round: 0, at: AT })
      ).code
    ).toBe('BAD_REQUEST');
    expect(
      errorOf(() =>
        releaseSegmentStats(ctx(), { query, source: source(), jobId: 'job', round: -1, at: AT })
      ).message
    ).toMatch(/round: expected an integer >= 0/);
    expect(listLedger(db, { type: 'job_refused' })).toHaveLength(0);
  });

  it('local stats use a local-<uuid> job id and the same path', () => {
    const r = releaseLocalStats(ctx(), { query, source: source(), at: AT });
    expect(r.jobId).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(r.round).toBe(0);
    expect(findRelease(db, r.jobId, 0)?.values).toEqual(r.values);
  });
});
