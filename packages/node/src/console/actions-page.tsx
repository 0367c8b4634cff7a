import { BarChart, Empty, type Bar } from '@fedmark/protocol/console';
import { listDecisionRuns, totalMix, type DecisionRun } from '../decide/decision-log.ts';
import type { RuleMix } from '../decide/rule-mix.ts';
import { listLedger } from '../ledger/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { EntryCells, EntryHeads, ShortHex, Time } from './_format.tsx';

/**
 * The marketing actions a node took with its own data (docs/decide.md "Decision log",
 * docs/console.md): which rules decided over the last 7 days and in all, the latest decision
 * runs, and the audiences built with their size. Counts only: the decision log keeps no
 * customer id, and an audience's ledger entry keeps its count and a commitment, not its members.
 */

const WEEK_MS = 7 * 86_400_000;
/** Latest decision runs shown; the mix totals cover every run. */
const RECENT_RUNS = 20;

export interface AudienceRow {
  seq: number;
  at: string;
  name: string;
  count: number | null;
  file: string | null;
  unitsRoot: string | null;
}

export interface ActionsModel {
  week: RuleMix;
  all: RuleMix;
  runs: DecisionRun[];
  audiences: AudienceRow[];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function loadActions(ctx: NodeConsoleContext): ActionsModel {
  const since = new Date(ctx.now().getTime() - WEEK_MS).toISOString();
  const audiences = listLedger(ctx.db, { type: 'audience' })
    .reverse()
    .map((e) => ({
      seq: e.seq,
      at: e.at,
      name: str(e.body['name']) ?? '(unnamed)',
      count: typeof e.body['count'] === 'number' ? e.body['count'] : null,
      file: str(e.body['file']),
      unitsRoot: str(e.body['unitsRoot']),
    }));
  return {
    week: totalMix(ctx.db, since),
    all: totalMix(ctx.db),
    runs: listDecisionRuns(ctx.db, RECENT_RUNS),
    audiences,
  };
}

/** Largest counts first, ties by name, so the chart reads the same on every load. */
function barsOf(counts: Record<string, number>): Bar[] {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([label, value]) => ({ label, value }));
}

function MixCharts(p: { mix: RuleMix; when: string; testId: string }) {
  const { mix } = p;
  if (mix.decisions === 0) return <Empty>No decisions {p.when}.</Empty>;
  const noAction = mix.decisions - mix.withAction;
  return (
    <>
      <p data-testid={`${p.testId}-summary`}>
        {mix.decisions.toLocaleString('en-US')} decisions {p.when}:{' '}
        {mix.withAction.toLocaleString('en-US')} with an action, {noAction.toLocaleString('en-US')}{' '}
        without.
      </p>
      <BarChart
        title={`Rules that fired (${p.when})`}
        bars={barsOf(mix.rules)}
        yLabel="decisions"
        testId={`${p.testId}-rules`}
      />
      {mix.withAction > 0 ? (
        <BarChart
          title={`Actions chosen (${p.when})`}
          bars={barsOf(mix.actions)}
          yLabel="decisions"
          testId={`${p.testId}-actions`}
        />
      ) : null}
      {mix.withAction > 0 ? (
        <BarChart
          title={`Channels (${p.when})`}
          bars={barsOf(mix.channels)}
          yLabel="decisions"
          testId={`${p.testId}-channels`}
        />
      ) : null}
      {noAction > 0 ? (
        <BarChart
          title={`Why no action (${p.when})`}
          bars={barsOf(mix.reasons)}
          yLabel="decisions"
          testId={`${p.testId}-reasons`}
        />
      ) : null}
    </>
  );
}

export function ActionsView(p: { model: ActionsModel; base: string }) {
  const { week, all, runs, audiences } = p.model;
  return (
    <>
      <section class="card">
        <h2>Decisions: rule mix</h2>
        <p class="muted">
          From the node's decision log: counts per rule, action, channel and no-action reason. No
          customer is named here; decisions release nothing.
        </p>
        <MixCharts mix={week} when="in the last 7 days" testId="mix-week" />
        {all.decisions > week.decisions ? (
          <MixCharts mix={all} when="in all" testId="mix-all" />
        ) : null}
      </section>
      <h2>Latest decision runs</h2>
      {runs.length === 0 ? (
        <Empty>No decision has been made (fedmark node decide, POST /v1/decide).</Empty>
      ) : (
        <table data-testid="decision-runs">
          <caption class="muted">Newest first; one row per API request or CLI run.</caption>
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Source</th>
              <th scope="col">Policy</th>
              <th class="num" scope="col">
                Decisions
              </th>
              <th class="num" scope="col">
                With an action
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr>
                <td>
                  <Time iso={r.at} />
                </td>
                <td>{r.source}</td>
                <td>
                  {r.policyName} <ShortHex value={r.policyHash} />
                </td>
                <td class="num">{r.mix.decisions.toLocaleString('en-US')}</td>
                <td class="num">{r.mix.withAction.toLocaleString('en-US')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Audiences</h2>
      {audiences.length === 0 ? (
        <Empty>No audience has been built (fedmark node audience).</Empty>
      ) : (
        <>
          <BarChart
            title="Audience sizes (latest build of each name)"
            bars={latestPerName(audiences).map((a) => ({ label: a.name, value: a.count ?? 0 }))}
            yLabel="customers"
            testId="audience-sizes"
          />
          <table data-testid="audiences-table">
            <caption class="muted">
              Newest first, from the ledger: each build's count and the commitment to its members
              (docs/audit.md), never the members themselves.
            </caption>
            <thead>
              <tr>
                <EntryHeads />
                <th scope="col">Name</th>
                <th class="num" scope="col">
                  Customers
                </th>
                <th scope="col">File</th>
                <th scope="col">Commitment</th>
              </tr>
            </thead>
            <tbody>
              {audiences.map((a) => (
                <tr>
                  <EntryCells base={p.base} seq={a.seq} at={a.at} />
                  <td>{a.name}</td>
                  <td class="num">{a.count === null ? '' : a.count.toLocaleString('en-US')}</td>
                  <td>{a.file ?? ''}</td>
                  <td>
                    <ShortHex value={a.unitsRoot} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

/** The newest build of each audience name (the rows are newest first). */
function latestPerName(rows: readonly AudienceRow[]): AudienceRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.name) && seen.add(r.name));
}
