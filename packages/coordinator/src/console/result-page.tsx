import { Alert, BarChart, Empty, Facts, LineChart, type Bar } from '@fedmark/protocol/console';
import {
  MIN_RELIABLE_COUNT,
  UNRELIABLE_MARK,
  formatFigure,
  ownModelCheckLine,
  segmentLabel,
  type FigureKind,
  type JobResult,
  type Model,
  type OverlapResult,
  type RoundResult,
  type SegmentResult,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { jobResult } from '../jobs/status.ts';
import { fmtCount, fmtInterval, fmtNumber, fmtTime } from './format.ts';
import { OverlapSection } from './overlap-section.tsx';
import { ClvSection, clvViewOf, type ClvView } from './clv-section.tsx';
import { StateBadge } from './job-state.tsx';
import { PATHS } from './paths.ts';

/** A block with more cells than this gets its table only: a bar chart of hundreds of bars says nothing. */
export const MAX_CHART_BARS = 60;

export interface CellRow {
  labels: string[];
  /** Post-processed (docs/analytics.md "Post-processing"): projected to >= 0 where it cannot be negative. */
  estimate: number;
  ci95: [number, number];
  noiseStd: number;
  /** The released value before projection (absent in results published before it existed). */
  raw: number | undefined;
  /** Means: too few noisy customers, or an interval wider than the estimate; never drawn as a bar. */
  unreliable: boolean;
  reason: string | null;
}

export interface BlockView {
  /** `count`, `total`, `sum:<field>`, `mean:<field>`, ... (the protocol's block names). */
  block: string;
  dimensions: string[];
  cells: CellRow[];
}

export interface RoundView {
  round: number;
  name: string;
  contributingNodes: string[];
  epsilonPerNode: number;
  noise: string;
  publishedAt: string;
  notes: string[];
  blocks: BlockView[];
}

export interface ResultView {
  jobId: string;
  name: string;
  kind: JobResult['kind'];
  status: JobResult['status'];
  failure: JobResult['failure'];
  rfmMeans: JobResult['rfmMeans'];
  rounds: RoundView[];
  /** train jobs: the latest model's per-round history (loss, validation AUC). */
  model: Model | undefined;
  /** overlap jobs: the pairwise figures (docs/overlap.md). */
  overlap: OverlapResult | undefined;
  /** clv jobs: the parameters per Newton round and the CLV model (docs/clv.md "The clv job"). */
  clv: ClvView | undefined;
}

/** A round's cells grouped by block, in publication order, with the dimension names as column heads. */
export function blocksOf(r: RoundResult): BlockView[] {
  const seg = r.interpretation as Partial<SegmentResult> | undefined;
  const names = Array.isArray(seg?.dimensions) ? seg.dimensions : [];
  const byBlock = new Map<string, CellRow[]>();
  for (const c of r.cells) {
    const rows = byBlock.get(c.block) ?? [];
    rows.push({
      labels: c.labels,
      estimate: c.estimate,
      ci95: c.ci95,
      noiseStd: c.noiseStd,
      raw: c.raw,
      unreliable: c.unreliable === true,
      reason: c.reason ?? null,
    });
    byBlock.set(c.block, rows);
  }
  // Per block: `total` has no labels while the per-cell blocks have one per dimension.
  return [...byBlock].map(([block, cells]) => {
    const width = cells[0]?.labels.length ?? 0;
    const dimensions =
      names.length === width
        ? names
        : Array.from({ length: width }, (_, i) => `dimension ${i + 1}`);
    return { block, dimensions, cells };
  });
}

/** The published rounds of a job as tables per block; NOT_FOUND for an unknown id. */
export function loadResultView(ctx: Ctx, jobId: string): ResultView {
  const res = jobResult(ctx, jobId);
  return {
    jobId: res.jobId,
    name: res.name,
    kind: res.kind,
    status: res.status,
    failure: res.failure,
    rfmMeans: res.rfmMeans,
    model: res.model,
    overlap: res.overlap,
    clv: res.kind === 'clv' ? clvViewOf(res.rounds) : undefined,
    rounds: res.rounds.map((r) => ({
      round: r.round,
      name: r.name,
      contributingNodes: r.contributingNodes,
      epsilonPerNode: r.epsilonPerNode,
      noise: r.noise,
      publishedAt: r.publishedAt,
      notes: r.notes,
      // Model rounds are shown by their own section, not as cell tables.
      blocks: res.kind === 'train' || res.kind === 'clv' ? [] : blocksOf(r),
    })),
  };
}

const cellLabel = (labels: readonly string[]) =>
  labels.length === 0 ? 'all' : labels.map(segmentLabel).join(' / ');

/** Counts (and the total) are written as whole numbers, every other block as 3 significant digits. */
const kindOf = (block: string): FigureKind =>
  block === 'count' || block === 'total' ? 'count' : 'value';

/** The bars a block draws: its reliable cells (an unreliable mean is in the table only), none for a block too large to chart. */
export function chartBars(b: BlockView): Bar[] | null {
  if (b.cells.length > MAX_CHART_BARS) return null;
  const drawn = b.cells.filter((c) => !c.unreliable);
  return drawn.length === 0
    ? null
    : drawn.map((c) => ({
        label: cellLabel(c.labels),
        value: c.estimate,
        low: c.ci95[0],
        high: c.ci95[1],
      }));
}

/** What the table says about a cell beyond its figures: why it is unreliable, what it was projected from. */
function cellNote(c: CellRow, kind: FigureKind): string {
  const notes: string[] = [];
  if (c.unreliable) notes.push(`${UNRELIABLE_MARK} unreliable: ${c.reason ?? 'see the notes'}`);
  if (c.raw !== undefined && c.raw !== c.estimate)
    notes.push(`projected from ${formatFigure(c.raw, kind)}`);
  return notes.join('; ');
}

function BlockTable(p: { b: BlockView; chartTestId: string | undefined; roundName: string }) {
  const b = p.b;
  const kind = kindOf(b.block);
  const bars = chartBars(b);
  const left = b.cells.filter((c) => c.unreliable).length;
  const noted = b.cells.some((c) => cellNote(c, kind) !== '');
  return (
    <div class="block">
      <h3>{b.block}</h3>
      {bars ? (
        <BarChart
          title={`${p.roundName}: ${b.block} (bars: 95% intervals)`}
          bars={bars}
          yLabel={b.block}
          testId={p.chartTestId}
        />
      ) : b.cells.length > MAX_CHART_BARS ? (
        <p class="muted">{b.cells.length} cells: too many for a readable chart; see the table.</p>
      ) : null}
      {left > 0 ? (
        <p class="muted" data-testid="unreliable-note">
          {left} unreliable {left === 1 ? 'value is' : 'values are'} not drawn (marked{' '}
          {UNRELIABLE_MARK} in the table, with the reason).
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            {b.dimensions.length === 0 ? (
              <th scope="col">Cell</th>
            ) : (
              b.dimensions.map((d) => <th scope="col">{d}</th>)
            )}
            <th scope="col" class="num">
              Estimate
            </th>
            <th scope="col" class="num">
              95% interval
            </th>
            <th scope="col" class="num">
              Noise s.d.
            </th>
            {noted ? <th scope="col">Note</th> : null}
          </tr>
        </thead>
        <tbody>
          {b.cells.map((c) => (
            <tr class={c.unreliable ? 'unreliable' : undefined}>
              {b.dimensions.length === 0 ? (
                <td>all</td>
              ) : (
                c.labels.map((l) => <td>{segmentLabel(l)}</td>)
              )}
              <td class="num">{`${formatFigure(c.estimate, kind)}${c.unreliable ? ` ${UNRELIABLE_MARK}` : ''}`}</td>
              <td class="num">{fmtInterval(c.ci95, kind)}</td>
              <td class="num">{fmtNumber(c.noiseStd)}</td>
              {noted ? <td>{cellNote(c, kind)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TrainSection(p: { model: Model; status: JobResult['status'] }) {
  const t = p.model.training;
  // Against each node's own model (docs/models.md §6); a running job may still be checking.
  const check = p.status === 'running' ? null : ownModelCheckLine(p.model);
  const loss = t.history.flatMap((h) => (h.loss === null ? [] : [{ x: h.round, y: h.loss }]));
  const auc = t.history.flatMap((h) => (h.auc === null ? [] : [{ x: h.round, y: h.auc }]));
  return (
    <section>
      <h2>Model "{p.model.name}"</h2>
      <p>
        {t.roundsDone} of {t.roundsPlanned} {t.optimiser} rounds, epsilon{' '}
        {fmtNumber(t.epsilonPerNode)} per node{t.noise ? '' : ' (NO NOISE: test only)'}, nodes{' '}
        {t.nodes.join(', ')}. Export it with{' '}
        <code>fedmark model export {t.jobId ?? 'JOB'} --out model.json</code>.
      </p>
      {check ? <Alert kind={check.startsWith('warning') ? 'error' : 'info'}>{check}</Alert> : null}
      {t.history.length === 0 ? (
        <Empty>No optimiser round published yet.</Empty>
      ) : (
        <>
          {loss.length > 0 ? (
            <LineChart
              title="Training loss per round"
              series={[{ name: 'mean log-loss', points: loss }]}
              xLabel="round"
              yLabel="loss"
              testId="result-chart"
            />
          ) : null}
          {auc.length > 0 ? (
            // 0.5 is chance; a noisy AUC below it must still be on the chart.
            <LineChart
              title="Validation AUC per round"
              series={[{ name: 'validation AUC', points: auc }]}
              xLabel="round"
              yLabel="AUC"
              yDomain={[Math.min(0.5, ...auc.map((q) => q.y)), 1]}
              testId="auc-chart"
            />
          ) : null}
          <table data-testid="train-history">
            <thead>
              <tr>
                <th scope="col">Round</th>
                <th scope="col" class="num">
                  Loss
                </th>
                <th scope="col" class="num">
                  Validation AUC
                </th>
                <th scope="col" class="num">
                  Training count
                </th>
                <th scope="col" class="num">
                  Nodes
                </th>
              </tr>
            </thead>
            <tbody>
              {t.history.map((h) => (
                <tr>
                  <td>{h.round}</td>
                  <td class="num">{h.loss === null ? '-' : fmtNumber(h.loss)}</td>
                  <td class="num">{h.auc === null ? '-' : fmtNumber(h.auc)}</td>
                  <td class="num">{fmtCount(h.count)}</td>
                  <td class="num">{h.nodes}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function ResultPage(v: ResultView) {
  // The first chart on the page carries the stable test id the browser test looks for.
  let chartId: string | undefined = v.model || v.clv ? undefined : 'result-chart';
  const takeId = () => {
    const id = chartId;
    chartId = undefined;
    return id;
  };
  return (
    <>
      <Facts
        items={[
          ['Job', <a href={PATHS.job(v.jobId)}>{v.name}</a>],
          ['State', <StateBadge state={v.status} testId="job-state" />],
          ['Kind', v.kind],
          ['Published rounds', String(v.rounds.length)],
        ]}
      />
      {v.failure ? (
        <Alert kind="error">
          Failed: [{v.failure.code}] {v.failure.message}
        </Alert>
      ) : null}
      <p class="muted">
        Intervals cover the differential-privacy noise only (normal approximation), not sampling
        error. A cell whose noisy count at a node was under that node's minimum cohort was released
        as 0 by it (after noise). Counts and sums that cannot be negative are projected to 0 or more
        and means clamped into their clipping bounds (post-processing: no privacy cost); a mean from
        fewer than {MIN_RELIABLE_COUNT} noisy customers, with an interval wider than itself, or
        whose noisy value fell outside its bounds is marked {UNRELIABLE_MARK} and not drawn.
      </p>
      {v.rfmMeans ? (
        <p>
          Federated RFM means: recency {fmtNumber(v.rfmMeans.recency)} days, frequency{' '}
          {fmtNumber(v.rfmMeans.frequency)}, monetary {fmtNumber(v.rfmMeans.monetary)}.
        </p>
      ) : null}
      {v.model ? <TrainSection model={v.model} status={v.status} /> : null}
      {v.clv ? <ClvSection clv={v.clv} jobId={v.jobId} /> : null}
      {v.overlap ? (
        <OverlapSection overlap={v.overlap} />
      ) : v.rounds.length === 0 ? (
        <Empty>
          {v.status === 'running'
            ? 'No round published yet: results appear here as rounds publish.'
            : 'No round was published.'}
        </Empty>
      ) : (
        v.rounds.map((r) => (
          <section class="card" data-testid={`result-round-${r.round}`}>
            <h2>
              Round {r.round}: {r.name}
            </h2>
            <p>
              {r.contributingNodes.length} contributing nodes ({r.contributingNodes.join(', ')}),
              epsilon {fmtNumber(r.epsilonPerNode)} per node, noise {r.noise}, published{' '}
              {fmtTime(r.publishedAt)}.
            </p>
            {r.blocks.map((b) => (
              <BlockTable
                b={b}
                chartTestId={chartBars(b) ? takeId() : undefined}
                roundName={r.name}
              />
            ))}
            {r.notes.length > 0 ? (
              <ul class="notes">
                {r.notes.map((n) => (
                  <li>{n}</li>
                ))}
              </ul>
            ) : null}
          </section>
        ))
      )}
    </>
  );
}
