import { PURPOSES, type Purpose } from '@fedmark/protocol';
import { Badge, Empty, LineChart, type LineSeries } from '@fedmark/protocol/console';
import { complianceReport, type PeriodSpend } from '../audit/index.ts';
import { SpendChart } from '../audit/spend-chart.tsx';
import { loadPolicy } from '../policy/index.ts';
import { budgetReport, periodKey, type BudgetLine } from '../privacy/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { formatEpsilon } from './_format.tsx';

/** One budget rule of the policy (purpose, period, cap) with its spend in every period so far. */
export interface BudgetRuleView {
  purpose: Purpose;
  period: string;
  capEpsilon: number;
  /** Oldest first, from the ledger's release entries; the current period is always present. */
  periods: PeriodSpend[];
}

export interface BudgetsModel {
  at: string;
  rules: BudgetRuleView[];
  /** The node's own accounting now (privacy_budget_charges), per rule. */
  current: BudgetLine[];
  /** Cumulative epsilon per purpose at each release (x in days since the first release). */
  cumulative: { startIso: string | null; series: LineSeries[] };
}

const DAY_MS = 86_400_000;

/**
 * Spend per purpose and period recomputed from the ledger (what an auditor can verify, via the
 * audit module's complianceReport), next to the node's own budget accounting (budgetReport).
 */
export function loadBudgets(ctx: NodeConsoleContext): BudgetsModel {
  const at = ctx.now();
  const policy = loadPolicy(ctx.dir);
  const report = complianceReport(ctx.db, policy, at);
  const rules: BudgetRuleView[] = policy.budgets.map((rule) => {
    const spends = report.purposes.find((p) => p.purpose === rule.purpose)?.periods ?? [];
    const periods = spends.filter((s) => s.period === rule.period && s.capEpsilon === rule.epsilon);
    const nowKey = periodKey(rule.period, at);
    if (!periods.some((s) => s.periodKey === nowKey)) {
      periods.push({
        period: rule.period,
        periodKey: nowKey,
        capEpsilon: rule.epsilon,
        spentEpsilon: 0,
        spentRho: 0,
        releases: 0,
        overCap: false,
        resetInPeriod: false,
        firstOverCapSeq: null,
      });
    }
    periods.sort((a, b) => (a.periodKey < b.periodKey ? -1 : a.periodKey > b.periodKey ? 1 : 0));
    return { purpose: rule.purpose, period: rule.period, capEpsilon: rule.epsilon, periods };
  });

  const releases = [...report.releases].sort((a, b) => a.seq - b.seq);
  const first = releases[0];
  const t0 = first ? Date.parse(first.at) : 0;
  const series: LineSeries[] = [];
  for (const purpose of PURPOSES) {
    let sum = 0;
    const points = releases
      .filter((r) => r.purpose === purpose)
      .map((r) => {
        sum += r.epsilon;
        return { x: (Date.parse(r.at) - t0) / DAY_MS, y: Number(sum.toFixed(6)) };
      });
    if (points.length > 0) series.push({ name: purpose, points: [{ x: 0, y: 0 }, ...points] });
  }
  return {
    at: report.at,
    rules,
    current: budgetReport(ctx.db, policy, at).budgets,
    cumulative: { startIso: first?.at ?? null, series },
  };
}

function Status(p: { s: PeriodSpend }) {
  if (!p.s.overCap) return <Badge tone="good">within cap</Badge>;
  if (p.s.resetInPeriod) return <Badge tone="warn">over cap, budget reset recorded</Badge>;
  return <Badge tone="bad">{`over cap (from entry #${p.s.firstOverCapSeq ?? '?'})`}</Badge>;
}

function RuleTable(p: { rule: BudgetRuleView }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Period</th>
          <th class="num" scope="col">
            Epsilon spent
          </th>
          <th class="num" scope="col">
            Cap
          </th>
          <th class="num" scope="col">
            Releases
          </th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {[...p.rule.periods].reverse().map((s) => (
          <tr>
            <td>{s.periodKey}</td>
            <td class="num">{formatEpsilon(s.spentEpsilon)}</td>
            <td class="num">{formatEpsilon(s.capEpsilon)}</td>
            <td class="num">{s.releases}</td>
            <td>
              <Status s={s} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BudgetsView(p: { model: BudgetsModel }) {
  const { rules, current, cumulative } = p.model;
  return (
    <>
      <p class="muted">
        Epsilon spent per purpose and budget period (sequential composition, UTC calendar periods),
        recomputed from the ledger's release entries. Periods over the policy cap are highlighted.
      </p>
      {rules.length === 0 ? (
        <Empty>The policy sets no budget rules.</Empty>
      ) : (
        <div data-testid="budget-chart">
          {rules.map((r) => (
            <section class="card">
              <h2>{`${r.purpose}: ${formatEpsilon(r.capEpsilon)} epsilon per ${r.period}`}</h2>
              <SpendChart
                title={`${r.purpose}: epsilon spent per ${r.period}`}
                periods={r.periods}
                capEpsilon={r.capEpsilon}
                testId={`budget-chart-${r.purpose}-${r.period}`}
              />
              <RuleTable rule={r} />
            </section>
          ))}
        </div>
      )}
      <h2>Cumulative spend</h2>
      {cumulative.series.length === 0 || cumulative.startIso === null ? (
        <Empty>No release has spent any budget yet.</Empty>
      ) : (
        <LineChart
          title="Cumulative epsilon spent per purpose"
          series={cumulative.series}
          xLabel={`days since the first release (${cumulative.startIso.slice(0, 10)})`}
          yLabel="epsilon"
          testId="budget-cumulative"
        />
      )}
      <h2>Now, by the node's own accounting</h2>
      {current.length === 0 ? (
        <Empty>No budget rules in force.</Empty>
      ) : (
        <table data-testid="budget-current">
          <thead>
            <tr>
              <th scope="col">Purpose</th>
              <th scope="col">Period</th>
              <th class="num" scope="col">
                Spent
              </th>
              <th class="num" scope="col">
                Cap
              </th>
              <th class="num" scope="col">
                Remaining
              </th>
              <th class="num" scope="col">
                Spent ρ
              </th>
              <th class="num" scope="col">
                Read at δ
              </th>
            </tr>
          </thead>
          <tbody>
            {current.map((b) => (
              <tr>
                <td>{b.purpose}</td>
                <td>{`${b.period} ${b.periodKey}`}</td>
                <td class="num">{formatEpsilon(b.spentEpsilon)}</td>
                <td class="num">{formatEpsilon(b.capEpsilon)}</td>
                <td class="num">{formatEpsilon(b.remainingEpsilon)}</td>
                <td class="num">{formatEpsilon(b.spentRho)}</td>
                <td class="num">{String(b.delta)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
