import type Database from 'better-sqlite3';
import {
  ProtocolError,
  epsilonToMicro,
  type BudgetPeriod,
  type LedgerEntry,
  type Policy,
  type Purpose,
} from '@fedmark/protocol';
import { appendLedgerEntry } from '../ledger/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { formatEpsilonMicro, periodKey, periodRange } from './period.ts';
import { ensurePrivacySchema } from './schema.ts';

/**
 * Privacy budget accounting (docs/privacy.md "Budgets"): per purpose and calendar period, by basic
 * sequential composition (Dwork & Roth 2014, Thm 3.16: releases at eps_1..eps_k are (sum
 * eps_i)-DP), in integer micro-epsilon. Checked before any data is read (as Tumult Analytics does)
 * and charged inside the transaction that records the release, so a release and its charge exist
 * together or not at all.
 */

export interface BudgetStatus {
  purpose: Purpose;
  period: BudgetPeriod;
  periodKey: string;
  capMicro: number;
  spentMicro: number;
  remainingMicro: number;
}

export interface BudgetCharge {
  purpose: Purpose;
  epsilonMicro: number;
  jobId: string;
  round: number;
  at: Date;
  /** The ledger entry (the release) this charge pays for. */
  ledgerSeq: number;
}

function checkMicro(epsilonMicro: number): void {
  if (!Number.isSafeInteger(epsilonMicro) || epsilonMicro < 1) {
    throw new RangeError(`"epsilonMicro" expected a positive integer, got ${epsilonMicro}`);
  }
}

function watermark(db: Database.Database, purpose: Purpose): number {
  const row = db
    .prepare('SELECT MAX(charge_watermark) AS w FROM privacy_budget_resets WHERE purpose = ?')
    .get(purpose) as { w: number | null };
  return row.w ?? 0;
}

/** One status per budget rule of the purpose (none: the purpose has no budget, so nothing is released). */
export function budgetStatus(
  db: Database.Database,
  policy: Policy,
  purpose: Purpose,
  at: Date = new Date()
): BudgetStatus[] {
  ensurePrivacySchema(db);
  const since = watermark(db, purpose);
  const spentStmt = db.prepare(
    'SELECT COALESCE(SUM(epsilon_micro), 0) AS spent FROM privacy_budget_charges WHERE purpose = ? AND id > ? AND at_ms >= ? AND at_ms < ?'
  );
  return policy.budgets
    .filter((rule) => rule.purpose === purpose)
    .map((rule) => {
      const { startMs, endMs } = periodRange(rule.period, at);
      const spentMicro = (spentStmt.get(purpose, since, startMs, endMs) as { spent: number }).spent;
      const capMicro = epsilonToMicro(rule.epsilon);
      return {
        purpose,
        period: rule.period,
        periodKey: periodKey(rule.period, at),
        capMicro,
        spentMicro,
        remainingMicro: Math.max(0, capMicro - spentMicro),
      };
    });
}

/** A node-wide cap across purposes in its current period. */
export interface PersonBudgetStatus {
  period: BudgetPeriod;
  periodKey: string;
  capMicro: number;
  spentMicro: number;
  remainingMicro: number;
}

/**
 * The policy's caps across all purposes (`personBudgets`): every charge of the period counts,
 * whatever its purpose, and purpose resets do not forgive them.
 */
export function personBudgetStatus(
  db: Database.Database,
  policy: Policy,
  at: Date = new Date()
): PersonBudgetStatus[] {
  ensurePrivacySchema(db);
  const spentStmt = db.prepare(
    'SELECT COALESCE(SUM(epsilon_micro), 0) AS spent FROM privacy_budget_charges WHERE at_ms >= ? AND at_ms < ?'
  );
  return policy.personBudgets.map((rule) => {
    const { startMs, endMs } = periodRange(rule.period, at);
    const spentMicro = (spentStmt.get(startMs, endMs) as { spent: number }).spent;
    const capMicro = epsilonToMicro(rule.epsilon);
    return {
      period: rule.period,
      periodKey: periodKey(rule.period, at),
      capMicro,
      spentMicro,
      remainingMicro: Math.max(0, capMicro - spentMicro),
    };
  });
}

/** What a refusal may tell the coordinator: that a budget is exhausted, not how much is left. */
export interface BudgetRefusalCause {
  publicReason: string;
}

/**
 * The reason of a refusal as sent to the coordinator (docs/privacy.md "Budgets"): for a budget
 * refusal the coarse `publicReason`, never the amounts, which stay in the node's own error, log
 * and ledger for its admin and auditors; any other error's message as it is.
 */
export function publicReasonOf(err: { message: string; cause?: unknown }): string {
  const cause = err.cause as Partial<BudgetRefusalCause> | undefined;
  return typeof cause?.publicReason === 'string' ? cause.publicReason : err.message;
}

const PERIOD_WORDS: Record<BudgetPeriod, string> = {
  day: "today's",
  week: "this week's",
  month: "this month's",
  quarter: "this quarter's",
  year: "this year's",
  total: 'the lifetime',
};

function exceeded(detail: string, publicReason: string): ProtocolError {
  const cause: BudgetRefusalCause = { publicReason };
  return new ProtocolError('BUDGET_EXCEEDED', detail, cause);
}

/**
 * Throws BUDGET_EXCEEDED unless every budget rule of the purpose has at least `epsilonMicro`
 * left in its current period (and refuses a purpose without any rule). Returns the statuses.
 */
export function checkBudget(
  db: Database.Database,
  policy: Policy,
  purpose: Purpose,
  epsilonMicro: number,
  at: Date = new Date()
): BudgetStatus[] {
  checkMicro(epsilonMicro);
  const statuses = budgetStatus(db, policy, purpose, at);
  if (statuses.length === 0) {
    throw new ProtocolError(
      'BUDGET_EXCEEDED',
      `the node policy has no privacy budget for purpose "${purpose}", so nothing is released for it (add a "budgets" rule to policy.json)`
    );
  }
  // The purpose's rules first, then the caps across all purposes: the first short one refuses.
  const rules = [
    ...statuses.map((s) => ({ s, local: `${purpose} budget`, sent: `${purpose} budget` })),
    ...personBudgetStatus(db, policy, at).map((s) => ({
      s,
      local: 'the budget across all purposes',
      sent: 'budget across all purposes',
    })),
  ];
  const short = rules.find((r) => r.s.remainingMicro < epsilonMicro);
  if (short) {
    const { s } = short;
    const when = s.period === 'total' ? 'in total' : `for ${s.periodKey}`;
    throw exceeded(
      `${short.local} ${when} has ${formatEpsilonMicro(s.remainingMicro)} left; this query needs ${formatEpsilonMicro(epsilonMicro)}`,
      `${PERIOD_WORDS[s.period]} ${short.sent} of this node is exhausted for this round`
    );
  }
  return statuses;
}

/**
 * Records a charge. MUST run inside the transaction that writes the release and its ledger
 * entry (docs/privacy.md "The release path"); re-checks the budget there, so two concurrent
 * releases cannot both pass a check made before either was charged. A second charge for the same
 * job and round fails (UNIQUE), so a job round is never paid twice.
 */
export function chargeBudget(db: Database.Database, policy: Policy, charge: BudgetCharge): number {
  if (!db.inTransaction)
    throw new Error('chargeBudget must run inside the transaction that records the release');
  const statuses = checkBudget(db, policy, charge.purpose, charge.epsilonMicro, charge.at);
  const keys = Object.fromEntries(statuses.map((s) => [s.period, s.periodKey]));
  const info = db
    .prepare(
      'INSERT INTO privacy_budget_charges (purpose, period_keys, epsilon_micro, job_id, round, at, at_ms, ledger_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    )
    .run(
      charge.purpose,
      JSON.stringify(keys),
      charge.epsilonMicro,
      charge.jobId,
      charge.round,
      charge.at.toISOString(),
      charge.at.getTime(),
      charge.ledgerSeq
    );
  return Number(info.lastInsertRowid);
}

/** Micro-epsilon already charged to a job (all rounds, optionally but one), for maxEpsilonPerJob. */
export function jobSpentMicro(db: Database.Database, jobId: string, exceptRound?: number): number {
  ensurePrivacySchema(db);
  const row = db
    .prepare(
      'SELECT COALESCE(SUM(epsilon_micro), 0) AS spent FROM privacy_budget_charges WHERE job_id = ? AND round != ?'
    )
    .get(jobId, exceptRound ?? -1) as { spent: number };
  return row.spent;
}

/**
 * Starts a purpose's budget afresh: every earlier charge stops counting. Legitimate only where
 * the earlier releases no longer compose with future ones (e.g. the dataset they described was
 * erased in full and replaced), or to correct a mis-set policy, and always visible: the reset is
 * a `budget_reset` ledger entry with the reason and what it forgave. Calendar periods need no
 * reset: a new period starts with its own allowance by itself.
 */
export function resetBudget(
  db: Database.Database,
  identity: Pick<NodeIdentity, 'name'>,
  purpose: Purpose,
  reason: string,
  opts: { at?: Date } = {}
): LedgerEntry {
  const why = reason.trim();
  if (why.length < 3)
    throw new ProtocolError(
      'BAD_REQUEST',
      'a budget reset needs a reason (it is shown to auditors in the ledger)'
    );
  ensurePrivacySchema(db);
  const at = opts.at ?? new Date();
  return db
    .transaction((): LedgerEntry => {
      const since = watermark(db, purpose);
      const row = db
        .prepare(
          'SELECT COALESCE(MAX(id), 0) AS top, COALESCE(SUM(CASE WHEN purpose = ? AND id > ? THEN epsilon_micro END), 0) AS forgiven FROM privacy_budget_charges'
        )
        .get(purpose, since) as { top: number; forgiven: number };
      const entry = appendLedgerEntry(db, {
        type: 'budget_reset',
        body: {
          node: identity.name,
          purpose,
          reason: why,
          forgivenEpsilonMicro: row.forgiven,
          chargeWatermark: row.top,
        },
        at,
      });
      db.prepare(
        'INSERT INTO privacy_budget_resets (purpose, reason, at, charge_watermark, ledger_seq) VALUES (?, ?, ?, ?, ?)'
      ).run(purpose, why, at.toISOString(), row.top, entry.seq);
      return entry;
    })
    .immediate();
}
