import type Database from 'better-sqlite3';
import {
  PURPOSES,
  microToEpsilon,
  rhoForEpsilon,
  type Policy,
  type Purpose,
} from '@fedmark/protocol';
import { budgetStatus, personBudgetStatus } from './budget.ts';

export interface BudgetLine {
  /** `all`: a node-wide cap across purposes (policy `personBudgets`). */
  purpose: Purpose | 'all';
  period: string;
  periodKey: string;
  capEpsilon: number;
  /** Everything charged in the period, read as epsilon at `delta` (pure releases: their plain sum). */
  spentEpsilon: number;
  remainingEpsilon: number;
  /** The same spend as zCDP rho: Gaussian releases' rho plus epsilon^2/2 of each pure release. */
  spentRho: number;
  /** The largest rho that reads as the cap at `delta` (for comparison with spentRho). */
  capRho: number;
  /** The policy's delta, at which every epsilon here is read. */
  delta: number;
}

/**
 * Every purpose's budget rules at `at`, then the caps across all purposes (`purpose: 'all'`),
 * both ways (docs/privacy.md "Accounting in rho and epsilon"): epsilon at the policy's delta and
 * rho, in floating units for people and JSON (the accounting itself stays in exact micro-epsilon
 * and pico-rho integers). Used by `fedmark node budget`, GET /v1/budget and the audit report.
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
    spentRho: Number(b.spentRhoPico) / 1e12,
    capRho: Number(rhoForEpsilon(microToEpsilon(b.capMicro), b.delta).toPrecision(6)),
    delta: b.delta,
  }));
  return { at: at.toISOString(), budgets };
}
