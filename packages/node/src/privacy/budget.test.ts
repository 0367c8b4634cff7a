import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { PolicySchema, type Policy } from '@fedmark/protocol';
import { protocolErrorOf as refusal } from '../_testing/protocol-error.ts';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { appendLedgerEntry, ledgerSize, listLedger } from '../ledger/index.ts';
import {
  budgetStatus,
  chargeBudget,
  checkBudget,
  jobSpend,
  personBudgetStatus,
  publicReasonOf,
  resetBudget,
} from './budget.ts';
import { formatEpsilonMicro, periodKey, periodRange } from './period.ts';

const NOV = new Date('2026-11-22T10:00:00Z');

function policyWith(budgets: Policy['budgets']): Policy {
  return PolicySchema.parse({ budgets });
}

let db: Database.Database;
useTempDatabase('fedmark-budget-', (t) => ({ db } = t));

/** A release-shaped transaction: ledger entry, then the charge that pays for it. */
function release(policy: Policy, epsilonMicro: number, jobId: string, at = NOV, round = 0): void {
  db.transaction(() => {
    const entry = appendLedgerEntry(db, {
      type: 'release',
      body: { jobId, round, epsilonMicro },
      at,
    });
    chargeBudget(db, policy, {
      purpose: 'analytics',
      epsilonMicro,
      jobId,
      round,
      at,
      ledgerSeq: entry.seq,
    });
  }).immediate();
}

describe('periods (UTC calendar)', () => {
  it('keys every period kind', () => {
    expect(periodKey('day', NOV)).toBe('2026-11-22');
    expect(periodKey('week', NOV)).toBe('2026-W47');
    expect(periodKey('month', NOV)).toBe('2026-11');
    expect(periodKey('quarter', NOV)).toBe('2026-Q4');
    expect(periodKey('year', NOV)).toBe('2026');
    expect(periodKey('total', NOV)).toBe('total');
  });

  it('uses ISO weeks across year ends', () => {
    expect(periodKey('week', new Date('2021-01-03T23:59:59Z'))).toBe('2020-W53');
    expect(periodKey('week', new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    const r = periodRange('week', NOV);
    expect(new Date(r.startMs).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(new Date(r.endMs).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(periodRange('quarter', NOV).startMs).toISOString()).toBe(
      '2026-10-01T00:00:00.000Z'
    );
  });

  it('formats micro-epsilon exactly', () => {
    expect(formatEpsilonMicro(300_000)).toBe('0.3');
    expect(formatEpsilonMicro(4_000_000)).toBe('4');
    expect(formatEpsilonMicro(1)).toBe('0.000001');
    expect(formatEpsilonMicro(0)).toBe('0');
  });
});

describe('budget accounting', () => {
  it('accumulates exactly: ten charges of 0.1 spend exactly 1.0 (a float sum would not)', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 1 }]);
    let floatSum = 0;
    for (let i = 0; i < 10; i++) {
      release(policy, 100_000, `job-${i}`);
      floatSum += 0.1;
    }
    expect(floatSum).not.toBe(1);
    const [status] = budgetStatus(db, policy, 'analytics', NOV);
    expect(status).toMatchObject({
      purpose: 'analytics',
      period: 'month',
      periodKey: '2026-11',
      capMicro: 1_000_000,
      spentMicro: 1_000_000,
      remainingMicro: 0,
    });
    const err = refusal(() => checkBudget(db, policy, 'analytics', 100_000, NOV));
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.message).toBe('analytics budget for 2026-11 has 0 left; this query needs 0.1');
  });

  it('refuses with what is left, and a new month starts afresh', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 1 }]);
    release(policy, 700_000, 'j1');
    expect(refusal(() => checkBudget(db, policy, 'analytics', 500_000, NOV)).message).toBe(
      'analytics budget for 2026-11 has 0.3 left; this query needs 0.5'
    );
    expect(checkBudget(db, policy, 'analytics', 300_000, NOV)[0]?.remainingMicro).toBe(300_000);
    const dec = new Date('2026-12-01T00:00:00Z');
    expect(budgetStatus(db, policy, 'analytics', dec)[0]).toMatchObject({
      periodKey: '2026-12',
      spentMicro: 0,
      remainingMicro: 1_000_000,
    });
  });

  it('enforces every rule of a purpose (a daily cap inside a monthly one) and the total rule never resets', () => {
    const policy = policyWith([
      { purpose: 'analytics', period: 'month', epsilon: 4 },
      { purpose: 'analytics', period: 'day', epsilon: 1 },
      { purpose: 'analytics', period: 'total', epsilon: 1.5 },
    ]);
    release(policy, 1_000_000, 'j1');
    expect(refusal(() => checkBudget(db, policy, 'analytics', 1, NOV)).message).toBe(
      'analytics budget for 2026-11-22 has 0 left; this query needs 0.000001'
    );
    const nextDay = new Date('2026-11-23T08:00:00Z');
    expect(refusal(() => checkBudget(db, policy, 'analytics', 600_000, nextDay)).message).toBe(
      'analytics budget in total has 0.5 left; this query needs 0.6'
    );
    expect(budgetStatus(db, policy, 'analytics', nextDay).map((s) => s.spentMicro)).toEqual([
      1_000_000, 0, 1_000_000,
    ]);
  });

  it('refuses a purpose the policy gives no budget', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 1 }]);
    const err = refusal(() => checkBudget(db, policy, 'marketing', 1_000, NOV));
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.message).toMatch(/no privacy budget for purpose "marketing"/);
    expect(() => checkBudget(db, policy, 'analytics', 0, NOV)).toThrow(RangeError);
  });

  it('charges only inside a transaction, once per job round', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 4 }]);
    expect(() =>
      chargeBudget(db, policy, {
        purpose: 'analytics',
        epsilonMicro: 1,
        jobId: 'j',
        round: 0,
        at: NOV,
        ledgerSeq: 0,
      })
    ).toThrow(/inside the transaction/);
    release(policy, 500_000, 'j', NOV, 0);
    expect(() => release(policy, 500_000, 'j', NOV, 0)).toThrow(/UNIQUE/);
    release(policy, 250_000, 'j', NOV, 1);
    expect(jobSpend(db, 'j').pureMicro).toBe(750_000);
    expect(jobSpend(db, 'j', 1).pureMicro).toBe(500_000);
  });

  it('writes the charge and the ledger entry together or not at all', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 4 }]);
    const before = ledgerSize(db);
    expect(() =>
      db.transaction(() => {
        const entry = appendLedgerEntry(db, { type: 'release', body: { jobId: 'boom' }, at: NOV });
        chargeBudget(db, policy, {
          purpose: 'analytics',
          epsilonMicro: 1_000_000,
          jobId: 'boom',
          round: 0,
          at: NOV,
          ledgerSeq: entry.seq,
        });
        throw new Error('crash after charging');
      })()
    ).toThrow('crash after charging');
    expect(ledgerSize(db)).toBe(before);
    expect(budgetStatus(db, policy, 'analytics', NOV)[0]?.spentMicro).toBe(0);
  });

  it('keeps charges append-only', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 4 }]);
    release(policy, 500_000, 'j');
    expect(() => db.prepare('UPDATE privacy_budget_charges SET epsilon_micro = 1').run()).toThrow(
      /append-only/
    );
    expect(() => db.prepare('DELETE FROM privacy_budget_charges').run()).toThrow(/append-only/);
    expect(budgetStatus(db, policy, 'analytics', NOV)[0]?.spentMicro).toBe(500_000);
  });

  it('a reset is a ledger entry with its reason and what it forgave', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 1 }]);
    release(policy, 800_000, 'j1');
    expect(() => resetBudget(db, { name: 'bank-a' }, 'analytics', ' ')).toThrow(/needs a reason/);
    const entry = resetBudget(
      db,
      { name: 'bank-a' },
      'analytics',
      'dataset replaced after full erasure',
      { at: NOV }
    );
    expect(entry.type).toBe('budget_reset');
    expect(entry.body).toMatchObject({
      purpose: 'analytics',
      forgivenEpsilonMicro: 800_000,
      reason: 'dataset replaced after full erasure',
    });
    expect(budgetStatus(db, policy, 'analytics', NOV)[0]?.spentMicro).toBe(0);
    release(policy, 200_000, 'j2');
    expect(budgetStatus(db, policy, 'analytics', NOV)[0]?.spentMicro).toBe(200_000);
    expect(listLedger(db, { type: 'budget_reset' })).toHaveLength(1);
  });
});

describe('budgets that bound a person (across purposes)', () => {
  it('refuses a release that fits its purpose but not the node-wide cap, and resets do not forgive it', () => {
    const policy = PolicySchema.parse({
      budgets: [
        { purpose: 'analytics', period: 'month', epsilon: 4 },
        { purpose: 'marketing', period: 'month', epsilon: 4 },
      ],
      personBudgets: [{ period: 'month', epsilon: 5 }],
    });
    const chargeFor = (purpose: 'analytics' | 'marketing', epsilonMicro: number, jobId: string) =>
      db
        .transaction(() => {
          const entry = appendLedgerEntry(db, { type: 'release', body: { jobId }, at: NOV });
          chargeBudget(db, policy, {
            purpose,
            epsilonMicro,
            jobId,
            round: 0,
            at: NOV,
            ledgerSeq: entry.seq,
          });
        })
        .immediate();
    chargeFor('analytics', 3_000_000, 'j-a');
    chargeFor('marketing', 1_500_000, 'j-m');
    // Marketing has 2.5 of its own 4 left, but only 0.5 remains across purposes.
    const err = refusal(() => checkBudget(db, policy, 'marketing', 1_000_000, NOV));
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.message).toBe(
      'the budget across all purposes for 2026-11 has 0.5 left; this query needs 1'
    );
    expect(publicReasonOf(err)).toBe(
      "this month's budget across all purposes of this node is exhausted for this round"
    );
    expect(checkBudget(db, policy, 'marketing', 500_000, NOV)).toHaveLength(1);
    resetBudget(db, { name: 'n' }, 'analytics', 'test: purpose reset');
    expect(personBudgetStatus(db, policy, NOV)[0]?.remainingMicro).toBe(500_000);
    expect(() => checkBudget(db, policy, 'marketing', 1_000_000, NOV)).toThrow(
      /across all purposes/
    );
  });

  it('defaults to 6 a month, 36 a year and 100 in total across purposes', () => {
    expect(PolicySchema.parse({}).personBudgets).toEqual([
      { period: 'month', epsilon: 6 },
      { period: 'year', epsilon: 36 },
      { period: 'total', epsilon: 100 },
    ]);
  });

  it('keeps the amounts out of the reason a refusal sends', () => {
    const policy = policyWith([{ purpose: 'analytics', period: 'month', epsilon: 0.2 }]);
    const err = refusal(() => checkBudget(db, policy, 'analytics', 300_000, NOV));
    expect(err.message).toMatch(/has 0.2 left; this query needs 0.3/);
    expect(publicReasonOf(err)).toBe(
      "this month's analytics budget of this node is exhausted for this round"
    );
    expect(publicReasonOf(new Error('other'))).toBe('other');
  });
});
