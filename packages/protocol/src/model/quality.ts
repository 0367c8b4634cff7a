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
