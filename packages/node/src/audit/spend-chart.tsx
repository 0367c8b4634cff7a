import { BarChart } from '@fedmark/protocol/console';
import type { PeriodSpend } from './compliance.ts';

/**
 * Epsilon spent per budget period (one bar each, over-cap periods highlighted) against the
 * policy cap (dashed reference line), for one budget rule. The one chart behind the node
 * console's budgets page and the exported audit report (which inlines CHART_CSS).
 */
export function SpendChart(p: {
  title: string;
  periods: readonly PeriodSpend[];
  capEpsilon: number;
  testId?: string;
}) {
  return (
    <BarChart
      title={p.title}
      bars={p.periods.map((s) => ({
        label: s.periodKey,
        value: s.spentEpsilon,
        highlight: s.overCap,
      }))}
      reference={{ value: p.capEpsilon, label: `cap ${Number(p.capEpsilon.toPrecision(6))}` }}
      yLabel="epsilon"
      testId={p.testId}
    />
  );
}
