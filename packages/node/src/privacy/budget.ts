import type Database from 'better-sqlite3';
import {
  ProtocolError,
  addSpend,
  epsilonToMicro,
  pureSpend,
  spendEpsilonMicro,
  spendRhoPico,
  type Mechanism,
  type PrivacySpend,
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
 * Privacy budget accounting (docs/privacy.md "Budgets", "Accounting in rho and epsilon"): per
 * purpose and calendar period, plus the caps across purposes. Charges are exact integers: pure
 * (discrete Laplace) releases in micro-epsilon, Gaussian releases in pico-rho. A period's spend
 * is read as epsilon at the policy's delta by protocol spendEpsilonMicro (pure epsilons add up,
 * Dwork & Roth 2014 Thm 3.16; rhos add up and convert by CKS20 Corollary 13; the smaller of the
 * two valid bounds counts), and a cap holds when that reading of spent + new is within it.
 * Checked before any data is read (as Tumult Analytics does) and charged inside the transaction
 * that records the release, so a release and its charge exist together or not at all.
 */

/** What a period has spent against one cap, both ways: rho and epsilon at the policy's delta. */
export interface SpendView {
  capMicro: number;
  /** The spend read as epsilon at `delta` (micro, rounded up). */
  spentMicro: number;
  remainingMicro: number;
  /** The spend as zCDP: pico-rho (Gaussian rho + epsilon^2/2 of each pure release). */
  spentRhoPico: bigint;
  delta: number;
  spend: PrivacySpend;
}

export interface BudgetStatus extends SpendView {
  purpose: Purpose;
  period: BudgetPeriod;
  periodKey: string;
}

export interface BudgetCharge {
  purpose: Purpose;
  /** The layout's epsilon (nominal for a Gaussian release: its rho is the charge). */
  epsilonMicro: number;
  /** What the release costs; absent: a pure release of `epsilonMicro`. */
  spend?: PrivacySpend;
  mechanism?: Mechanism;
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

/** A number is a pure release of that many micro-epsilon. */
function asSpend(cost: number | PrivacySpend): PrivacySpend {
  if (typeof cost !== 'number') return cost;
  checkMicro(cost);
  return pureSpend(cost);
}

/** The SUMs of a set of charge rows, exact (bigint) whatever their size. */
const SPEND_COLUMNS = `COALESCE(SUM(CASE WHEN mechanism != 'distributed-gaussian' THEN epsilon_micro ELSE 0 END), 0) AS pure,
  COALESCE(SUM(CASE WHEN mechanism != 'distributed-gaussian' THEN (epsilon_micro * epsilon_micro + 1) / 2 ELSE 0 END), 0) AS pure_rho,
  COALESCE(SUM(CASE WHEN mechanism = 'distributed-gaussian' THEN rho_pico ELSE 0 END), 0) AS gauss_rho`;

function spendOf(
  db: Database.Database,
  where: string,
  ...params: (string | number)[]
): PrivacySpend {
  const row = db
    .prepare(`SELECT ${SPEND_COLUMNS} FROM privacy_budget_charges WHERE ${where}`)
    .safeIntegers(true)
    .get(...params) as { pure: bigint; pure_rho: bigint; gauss_rho: bigint };
  return { pureMicro: Number(row.pure), pureRhoPico: row.pure_rho, gaussianRhoPico: row.gauss_rho };
}

function viewOf(spend: PrivacySpend, capMicro: number, delta: number): SpendView {
  const spentMicro = spendEpsilonMicro(spend, delta);
  return {
    capMicro,
    spentMicro,
    remainingMicro: Math.max(0, capMicro - spentMicro),
    spentRhoPico: spendRhoPico(spend),
    delta,
    spend,
  };
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
  return policy.budgets
    .filter((rule) => rule.purpose === purpose)
    .map((rule) => {
      const { startMs, endMs } = periodRange(rule.period, at);
      const spend = spendOf(
        db,
        'purpose = ? AND id > ? AND at_ms >= ? AND at_ms < ?',
        purpose,
        since,
        startMs,
        endMs
      );
      return {
        purpose,
        period: rule.period,
        periodKey: periodKey(rule.period, at),
        ...viewOf(spend, epsilonToMicro(rule.epsilon), policy.delta),
      };
    });
}

/** A node-wide cap across purposes in its current period. */
export interface PersonBudgetStatus extends SpendView {
  period: BudgetPeriod;
  periodKey: string;
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
  return policy.personBudgets.map((rule) => {
    const { startMs, endMs } = periodRange(rule.period, at);
    return {
      period: rule.period,
      periodKey: periodKey(rule.period, at),
      ...viewOf(
        spendOf(db, 'at_ms >= ? AND at_ms < ?', startMs, endMs),
        epsilonToMicro(rule.epsilon),
        policy.delta
      ),
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
 * Throws BUDGET_EXCEEDED unless every budget rule of the purpose, and every cap across purposes,
 * still holds in its current period with `cost` added (a number: a pure release of that many
 * micro-epsilon); refuses a purpose without any rule. Returns the purpose's statuses.
 */
export function checkBudget(
  db: Database.Database,
  policy: Policy,
  purpose: Purpose,
  cost: number | PrivacySpend,
  at: Date = new Date()
): BudgetStatus[] {
  const spend = asSpend(cost);
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
  const withNew = (s: SpendView) => spendEpsilonMicro(addSpend(s.spend, spend), policy.delta);
  const short = rules.find((r) => withNew(r.s) > r.s.capMicro);
  if (short) {
    const { s } = short;
    const when = s.period === 'total' ? 'in total' : `for ${s.periodKey}`;
    const atDelta = spend.gaussianRhoPico > 0n ? ` (at delta ${policy.delta})` : '';
    throw exceeded(
      `${short.local} ${when} has ${formatEpsilonMicro(s.remainingMicro)} left; this query needs ${formatEpsilonMicro(withNew(s) - s.spentMicro)}${atDelta}`,
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
  checkMicro(charge.epsilonMicro);
  const spend = charge.spend ?? pureSpend(charge.epsilonMicro);
  const mechanism: Mechanism = charge.mechanism ?? 'local-laplace';
  if ((mechanism === 'distributed-gaussian') !== spend.gaussianRhoPico > 0n)
    throw new RangeError(`a ${mechanism} charge must be paid in its own unit`);
  const statuses = checkBudget(db, policy, charge.purpose, spend, charge.at);
  const keys = Object.fromEntries(statuses.map((s) => [s.period, s.periodKey]));
  const info = db
    .prepare(
      'INSERT INTO privacy_budget_charges (purpose, period_keys, epsilon_micro, mechanism, rho_pico, job_id, round, at, at_ms, ledger_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
    )
    .run(
      charge.purpose,
      JSON.stringify(keys),
      charge.epsilonMicro,
      mechanism,
      spend.gaussianRhoPico,
      charge.jobId,
      charge.round,
      charge.at.toISOString(),
      charge.at.getTime(),
      charge.ledgerSeq
    );
  return Number(info.lastInsertRowid);
}

/** What a job has already been charged (all rounds, optionally but one), for maxEpsilonPerJob. */
export function jobSpend(db: Database.Database, jobId: string, exceptRound?: number): PrivacySpend {
  ensurePrivacySchema(db);
  return spendOf(db, 'job_id = ? AND round != ?', jobId, exceptRound ?? -1);
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
