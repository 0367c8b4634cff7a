import { formatCount, formatNumber } from '../results/number-format.ts';
import type { Model, RoundRecord } from './model-format.ts';

/**
 * How good a trained model is, as far as its DP validation histograms can tell (docs/models.md
 * §6): the AUC with its 95% interval (noise and sampling error: aucInterval), and a warning when
 * that interval does not rule out a coin, or when nothing was measured. Every figure here is
 * post-processing of released values.
 */

/** `0.83 [0.8, 0.86]`, `0.83` for models made before intervals, or `-` without validation. */
export function formatValidationAuc(h: Pick<RoundRecord, 'auc' | 'aucCi95'>): string {
  if (h.auc === null) return '-';
  const ci = h.aucCi95;
  return ci
    ? `${formatNumber(h.auc)} [${formatNumber(ci[0])}, ${formatNumber(ci[1])}]`
    : formatNumber(h.auc);
}

/** One line per round: loss, validation AUC with its interval, count, nodes. */
export function roundRecordLine(h: RoundRecord): string {
  return `round ${h.round}: loss ${h.loss === null ? '-' : formatNumber(h.loss)}, validation AUC ${formatValidationAuc(h)}, count ${formatCount(h.count)}, ${h.nodes} nodes`;
}

/** A warning about the model's measured quality, or null when its latest interval is clear of 0.5. */
export function modelQualityWarning(model: Pick<Model, 'training'>): string | null {
  const measured = model.training.history.filter((h) => h.auc !== null);
  const last = measured[measured.length - 1];
  if (!last)
    return 'warning: no validation split, so the model quality was not measured; set train.validation.fraction (e.g. 0.2) to get a DP estimate with its interval';
  const ci = last.aucCi95;
  if (!ci || ci[0] > 0.5) return null;
  return `warning: the latest validation AUC (the model entering round ${last.round}) is ${formatValidationAuc(last)}; the interval includes 0.5, so the model may be no better than chance (more customers per node, a larger epsilon or fewer features narrow it)`;
}

/**
 * What the result says about the model against each node's own model (docs/models.md §6): the
 * check's noisy count, as a warning when it is 1 or more; a note that no comparison was made
 * when a finished model has none; null while training is under way.
 */
export function ownModelCheckLine(model: Pick<Model, 'training'>): string | null {
  const t = model.training;
  const c = t.ownModelCheck;
  if (!c) {
    if (t.roundsDone < t.roundsPlanned) return null;
    return "note: not compared with the nodes' own models: a node's model fitted on its own customers alone may score better on them than this one (docs/models.md §11); set train.ownModelCheck.epsilon to have each node check and answer with a noisy bit (docs/models.md §6)";
  }
  const what = `${formatCount(c.count)} of ${c.nodes} nodes report that their own model, fitted on their own training customers alone, scores better than this model on their own validation customers (by more than ${formatNumber(c.margin)} AUC at 95% confidence)`;
  const noise =
    c.noiseStd === 0
      ? 'exact count: noise was off (test only)'
      : `a noisy count: epsilon ${formatNumber(c.epsilonPerNode)} per node, noise std ${formatNumber(c.noiseStd)}; were no node's own model better, a count of 1 or more would show with probability ${formatNumber(c.falseAlarm)}`;
  const local = 'each node has its exact comparison in its ledger (model_check)';
  return c.count >= 1
    ? `warning: ${what} (${noise}); ${local}`
    : `own-model check: ${what} (${noise}); ${local}`;
}
