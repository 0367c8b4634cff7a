import { Empty, LineChart } from '@fedmark/protocol/console';
import { clvNewtonRound, type ClvModel, type RoundResult } from '@fedmark/protocol';
import type { ClvRoundInterpretation } from '../jobs/clv-publication.ts';
import { fmtCount, fmtInterval, fmtNumber } from './format.ts';

/**
 * The result page of a clv job (docs/clv.md "The clv job"): the fitted BG/NBD and Gamma-Gamma
 * parameters with their 95% intervals, how each moved over the Newton rounds, and how the
 * model file reaches the nodes. Every figure is post-processing of the published noisy sums.
 */

const TITLES = { bgnbd: 'BG/NBD (purchase counts)', 'gamma-gamma': 'Gamma-Gamma (spend)' };
type ClvFitModel = ClvRoundInterpretation['model'];

export interface ClvStepView {
  round: number;
  model: ClvFitModel;
  /** 1-based Newton round (clvNewtonRound); Gamma-Gamma's start round is not a step. */
  newtonRound: number;
  /** Noisy customer count of the round. */
  count: number;
  /** Parameters after the step (natural scale), in the model's order, with 95% intervals. */
  params: { name: string; value: number; ci95: [number, number] }[];
}

export interface ClvView {
  steps: ClvStepView[];
  /** The CLV model file, once the last round is published. */
  model: ClvModel | undefined;
}

/** The clv rounds' published parameters, in round order; rounds without them are skipped. */
export function clvViewOf(rounds: readonly RoundResult[]): ClvView {
  const steps: ClvStepView[] = [];
  let model: ClvModel | undefined;
  for (const r of rounds) {
    const i = r.interpretation as ClvRoundInterpretation | undefined;
    // The start round only places the first Newton round (its cell is in the round's notes).
    if (i?.phase !== 'clv' || i.meanLogSpend !== undefined) continue;
    // The parameter cells hold the natural-scale values and intervals the publication computed.
    const cells = r.cells.filter((c) => c.block === `${i.model}:parameter`);
    steps.push({
      round: r.round,
      model: i.model,
      newtonRound: clvNewtonRound(i.model, i.step),
      count: i.count,
      params: cells.map((c) => ({ name: c.labels[0] ?? '?', value: c.estimate, ci95: c.ci95 })),
    });
    model = i.clvModel ?? model;
  }
  return { steps, model };
}

function ParamTable(p: { model: ClvFitModel; step: ClvStepView }) {
  return (
    <table data-testid={`clv-params-${p.model}`}>
      <thead>
        <tr>
          <th scope="col">Parameter</th>
          <th scope="col" class="num">
            Estimate
          </th>
          <th scope="col" class="num">
            95% interval
          </th>
        </tr>
      </thead>
      <tbody>
        {p.step.params.map((x) => (
          <tr>
            <td>{x.name}</td>
            <td class="num">{fmtNumber(x.value)}</td>
            <td class="num">{fmtInterval(x.ci95)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FitBlock(p: { model: ClvFitModel; steps: ClvStepView[]; final: boolean }) {
  const last = p.steps[p.steps.length - 1];
  if (!last) return null;
  // Log scale puts r (about 0.2) and alpha (about 4) on one readable chart, as the fit sees them.
  const series = last.params.map((x, k) => ({
    name: `log ${x.name}`,
    points: p.steps.map((s) => ({
      x: s.newtonRound,
      y: Math.log(s.params[k]?.value ?? Number.NaN),
    })),
  }));
  return (
    <div class="block">
      <h3>{TITLES[p.model]}</h3>
      <p class="muted">
        {p.final ? 'Fitted' : 'Latest'} parameters after Newton round {last.newtonRound} (noisy
        customer count {fmtCount(last.count)}); intervals cover the noise and sampling (normal
        approximation on the log scale).
      </p>
      <ParamTable model={p.model} step={last} />
      {p.steps.length > 1 ? (
        <LineChart
          title={`${TITLES[p.model]}: log-parameters per Newton round`}
          series={series}
          xLabel="Newton round"
          yLabel="log parameter"
          testId={`clv-chart-${p.model}`}
        />
      ) : null}
    </div>
  );
}

export function ClvSection(p: { clv: ClvView; jobId: string }) {
  const { steps, model } = p.clv;
  if (steps.length === 0) return <Empty>No CLV round published yet.</Empty>;
  const bg = steps.filter((s) => s.model === 'bgnbd');
  const gg = steps.filter((s) => s.model === 'gamma-gamma');
  return (
    <section class="card" data-testid="clv-section">
      <h2>CLV model{model ? ` "${model.name}"` : ' (fitting)'}</h2>
      {model ? (
        <p>
          {model.fit.rounds} Newton rounds over nodes {model.fit.nodes.join(', ')}, epsilon{' '}
          {fmtNumber(model.fit.epsilonPerNode)} per node for the whole fit
          {model.fit.noise ? '' : ' (NO NOISE: test only)'}, calibration period ending{' '}
          {model.calibrationEnd}, {model.daysPerUnit} days per time unit. Export it with{' '}
          <code>fedmark model export {p.jobId} --out clv-model.json</code>; each node then scores
          its own customers with <code>fedmark node clv-score --model clv-model.json</code>.
        </p>
      ) : null}
      <FitBlock model="bgnbd" steps={bg} final={gg.length > 0} />
      <FitBlock model="gamma-gamma" steps={gg} final={model !== undefined} />
    </section>
  );
}
