import type Database from 'better-sqlite3';
import { PURPOSES, microToEpsilon, type Policy, type Purpose } from '@fedmark/protocol';
import { budgetStatus, personBudgetStatus } from './budget.ts';

export interface BudgetLine {
  /** `all`: a node-wide cap across purposes (policy `personBudgets`). */
  purpose: Purpose | 'all';
  period: string;
  periodKey: string;
  capEpsilon: number;
  spentEpsilon: number;
  remainingEpsilon: number;
}

/**
 * Every purpose's budget rules at `at`, then the caps across all purposes (`purpose: 'all'`), in epsilon units for people and JSON (the accounting
 * itself stays in exact micro-epsilon integers). Used by `fedmark node budget`, GET /v1/budget
 * and the audit report.
 */
export function budgetReport(
  db: Database.Database,
  policy: Policy,
  at: Date
): { at: string; budgets: BudgetLine[] } {
  const lines = [
    ...PURPOSES.flatMap((p) => budgetStatus(db, policy, p, at)),
    ...personBudgetStatus(db, policy, at).map((b) => ({ ...b, purpose: 'all' as const })),
  ];
  const budgets = lines.map((b) => ({
    purpose: b.purpose,
    period: b.period,
    periodKey: b.periodKey,
    capEpsilon: microToEpsilon(b.capMicro),
    spentEpsilon: microToEpsilon(b.spentMicro),
    remainingEpsilon: microToEpsilon(b.remainingMicro),
  }));
  return { at: at.toISOString(), budgets };
}
