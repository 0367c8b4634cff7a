import type Database from 'better-sqlite3';
import {
  NO_SPEND,
  PURPOSES,
  addSpend,
  epsilonToMicro,
  gaussianSpend,
  microToEpsilon,
  pureSpend,
  spendEpsilonMicro,
  spendRhoPico,
  type PrivacySpend,
  type LedgerEntry,
  type Policy,
  type Purpose,
} from '@fedmark/protocol';
import { consentSummary } from '../consent/index.ts';
import { listLedger } from '../ledger/index.ts';
import { budgetReport, periodKey } from '../privacy/index.ts';
import type { ConsentCounts, CurrentBudget } from './source.ts';

/** Entry types the compliance report reads. */
export const COMPLIANCE_ENTRY_TYPES: ReadonlySet<string> = new Set([
  'job_accepted',
  'release',
  'budget_reset',
  'erasure',
  'job_refused',
]);

/** Epsilon spent in one period of one budget rule, recomputed from the ledger's release entries. */
export interface PeriodSpend {
  period: string;
  periodKey: string;
  capEpsilon: number;
  /** The period's releases read as epsilon at the policy's delta (pure epsilons add up exactly). */
  spentEpsilon: number;
  /** The same releases as zCDP: Gaussian rho plus epsilon^2/2 of each pure release. */
  spentRho: number;
  releases: number;
  overCap: boolean;
  /** A budget_reset entry for this purpose falls in the period (an over-cap total is then explained). */
  resetInPeriod: boolean;
  /** The release that first took the period over its cap. */
  firstOverCapSeq: number | null;
}

export interface ReleaseLine {
  seq: number;
  at: string;
  jobId: string;
  round: number;
  kind: string;
  purpose: string;
  epsilon: number;
  /** How the release was noised (ledger `mechanism`; entries before it: local-laplace). */
  mechanism: string;
  /** Gaussian releases: the rho charged, pico-rho as a decimal string (ledger `rhoPico`). */
  rhoPico: string | null;
}

/** What one release cost, as the node charged it: rho for a Gaussian release, epsilon otherwise. */
function releaseSpend(r: ReleaseLine): PrivacySpend {
  if (r.mechanism === 'distributed-gaussian' && r.rhoPico !== null && /^\d+$/.test(r.rhoPico))
    return gaussianSpend(BigInt(r.rhoPico));
  return pureSpend(epsilonToMicro(r.epsilon));
}

export interface ComplianceReport {
  at: string;
  purposes: {
    purpose: Purpose;
    periods: PeriodSpend[];
    /** budgetStatus now: the node's own accounting (privacy_budget_charges). */
    current: {
      period: string;
      periodKey: string;
      capEpsilon: number;
      spentEpsilon: number;
      remainingEpsilon: number;
      spentRho?: number;
      delta?: number;
    }[];
    consentsInForce: number;
    consentsRevoked: number;
  }[];
  releases: ReleaseLine[];
  erasures: { seq: number; at: string; subject: string | null; rowsDeleted: number | null }[];
  refused: { seq: number; at: string; jobId: string; round: number | null; reason: string }[];
}

const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Per purpose: what each budget period spent, composed as the node charges it (pure epsilon in
 * exact micro-epsilon, Gaussian rho in exact pico-rho, read as epsilon at the policy's delta:
 * protocol spendEpsilonMicro) against the policy cap, the releases and their jobs,
 * consents in force, erasures and refused jobs with reasons. Built from ledger entries, so it
 * reflects exactly what the verified chain says.
 */
export function complianceReport(
  db: Database.Database,
  policy: Policy,
  at: Date = new Date()
): ComplianceReport {
  const entries = listLedger(db).filter((e) => COMPLIANCE_ENTRY_TYPES.has(e.type));
  // The node's own accounting now, per purpose (the caps across purposes are not a purpose's).
  const current = budgetReport(db, policy, at).budgets.filter((b) => b.purpose !== 'all');
  return complianceFromEntries(entries, policy, consentSummary(db, at), current, at);
}

/**
 * The same report from ledger entries (in seq order) and the node's own consent counts and
 * budget accounting, whichever source they were read from (docs/audit.md).
 */
export function complianceFromEntries(
  entries: readonly LedgerEntry[],
  policy: Policy,
  consents: readonly ConsentCounts[],
  currentBudgets: readonly CurrentBudget[],
  at: Date
): ComplianceReport {
  const ofType = (t: string) => entries.filter((e) => e.type === t);
  const purposeOf = new Map<string, string>();
  for (const e of ofType('job_accepted')) {
    purposeOf.set(
      `${str(e.body['jobId'])}/${num(e.body['round']) ?? ''}`,
      str(e.body['purpose'], 'unknown')
    );
  }
  const releases: ReleaseLine[] = ofType('release').map((e) => {
    const jobId = str(e.body['jobId']);
    const round = num(e.body['round']) ?? 0;
    return {
      seq: e.seq,
      at: e.at,
      jobId,
      round,
      kind: str(e.body['kind'], 'unknown'),
      purpose: str(e.body['purpose'], purposeOf.get(`${jobId}/${round}`) ?? 'unknown'),
      epsilon: microToEpsilon(num(e.body['epsilonMicro']) ?? 0),
      mechanism: str(e.body['mechanism'], 'local-laplace'),
      rhoPico: typeof e.body['rhoPico'] === 'string' ? e.body['rhoPico'] : null,
    };
  });
  const resets = ofType('budget_reset').map((e) => ({
    purpose: str(e.body['purpose']),
    at: new Date(e.at),
  }));
  const purposes = PURPOSES.map((purpose) => {
    const mine = releases.filter((r) => r.purpose === purpose);
    const periods: PeriodSpend[] = [];
    for (const rule of policy.budgets.filter((b) => b.purpose === purpose)) {
      const capMicro = epsilonToMicro(rule.epsilon);
      const byKey = new Map<
        string,
        { spend: PrivacySpend; micro: number; n: number; firstOver: number | null }
      >();
      for (const r of mine) {
        const key = periodKey(rule.period, new Date(r.at));
        const acc = byKey.get(key) ?? { spend: NO_SPEND, micro: 0, n: 0, firstOver: null };
        acc.spend = addSpend(acc.spend, releaseSpend(r));
        acc.micro = spendEpsilonMicro(acc.spend, policy.delta);
        acc.n += 1;
        if (acc.micro > capMicro && acc.firstOver === null) acc.firstOver = r.seq;
        byKey.set(key, acc);
      }
      for (const [key, acc] of [...byKey].sort(([a], [b]) => (a < b ? -1 : 1))) {
        periods.push({
          period: rule.period,
          periodKey: key,
          capEpsilon: rule.epsilon,
          spentEpsilon: microToEpsilon(acc.micro),
          spentRho: Number(spendRhoPico(acc.spend)) / 1e12,
          releases: acc.n,
          overCap: acc.micro > capMicro,
          resetInPeriod: resets.some(
            (x) => x.purpose === purpose && periodKey(rule.period, x.at) === key
          ),
          firstOverCapSeq: acc.firstOver,
        });
      }
    }
    const current = currentBudgets
      .filter((b) => b.purpose === purpose)
      .map((b) => ({
        period: b.period,
        periodKey: b.periodKey,
        capEpsilon: b.capEpsilon,
        spentEpsilon: b.spentEpsilon,
        remainingEpsilon: b.remainingEpsilon,
        ...(b.spentRho !== undefined ? { spentRho: b.spentRho, delta: b.delta } : {}),
      }));
    const c = consents.find((x) => x.purpose === purpose);
    return {
      purpose,
      periods,
      current,
      consentsInForce: c?.inForce ?? 0,
      consentsRevoked: c?.revoked ?? 0,
    };
  });
  const erasures = ofType('erasure').map((e) => ({
    seq: e.seq,
    at: e.at,
    subject: e.subject,
    rowsDeleted: num(e.body['rowsDeleted']),
  }));
  const refused = ofType('job_refused').map((e) => ({
    seq: e.seq,
    at: e.at,
    jobId: str(e.body['jobId']),
    round: num(e.body['round']),
    reason: str(e.body['reason']),
  }));
  return { at: at.toISOString(), purposes, releases, erasures, refused };
}
