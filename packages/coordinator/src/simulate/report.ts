import {
  formatNumber,
  modelQualityWarning,
  ownModelCheckLine,
  roundRecordLine,
  type JobResult,
} from '@fedmark/protocol';
import { roundBody } from '../cli/render.ts';
import { overlapLines } from '../cli/render-overlap.ts';

/** A trained model: per-round loss and validation AUC, then the largest weights. */
export function modelSummary(model: NonNullable<JobResult['model']>): string {
  const t = model.training;
  const out = [
    `   model ${model.name}: ${t.optimiser}, ${t.roundsDone}/${t.roundsPlanned} rounds, epsilon ${formatNumber(t.epsilonPerNode)} per node, noise ${t.noise ? 'on' : 'OFF (test only)'}, nodes ${t.nodes.join(', ')}`,
  ];
  for (const h of t.history) out.push(`   ${roundRecordLine(h)}`);
  const warning = modelQualityWarning(model);
  if (warning) out.push(`   ${warning}`);
  const check = ownModelCheckLine(model);
  if (check) out.push(`   ${check}`);
  const top = Object.entries(model.weights)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, 8);
  out.push(
    `   intercept ${formatNumber(model.intercept)}; largest weights: ${top.map(([k, w]) => `${k} ${w >= 0 ? '+' : ''}${formatNumber(w)}`).join(', ')}`
  );
  return out.join('\n');
}

/**
 * The whole job: a heading, the privacy facts, and per round the same table and footnotes as
 * `job result` (cli/render.ts roundBody), so the demo and the CLI read alike.
 */
export function jobReport(result: JobResult): string {
  const out = [`== ${result.name} [${result.kind}] — ${result.status}`];
  if (result.failure) out.push(`   failed: ${result.failure.code}: ${result.failure.message}`);
  if (result.rfmMeans) {
    const m = result.rfmMeans;
    out.push(
      `   federated means (round 0): recency ${formatNumber(m.recency)} days, frequency ${formatNumber(m.frequency)}, monetary ${formatNumber(m.monetary)}`
    );
  }
  if (result.model) {
    out.push(modelSummary(result.model));
    return out.join('\n');
  }
  if (result.overlap) {
    out.push(...overlapLines(result.overlap).map((l) => `   ${l}`));
    return out.join('\n');
  }
  for (const r of result.rounds) {
    out.push(
      `-- round ${r.round}: ${r.name}; ${r.contributingNodes.length} nodes (${r.contributingNodes.join(', ')}); epsilon ${formatNumber(r.epsilonPerNode)} per node; noise ${r.noise}`
    );
    const body = roundBody(r);
    out.push(body.table);
    for (const n of [...body.notes, ...r.notes]) out.push(`   note: ${n}`);
  }
  return out.join('\n');
}
