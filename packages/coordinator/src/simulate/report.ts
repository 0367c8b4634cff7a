import { RFM_CLASS_NAMES, type JobResult, type ResultCell, type RoundResult } from '@fedmark/protocol';

const SHOWN_BLOCK = /^(count|mean:.*)$/;

function fmt(x: number): string {
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(1) : x.toFixed(2);
}

function cellText(c: ResultCell): string {
  const half = (c.ci95[1] - c.ci95[0]) / 2;
  return half > 0 ? `${fmt(c.estimate)} ± ${fmt(half)}` : fmt(c.estimate);
}

function rowLabel(labels: string[]): string {
  if (labels.length === 0) return 'all customers';
  return labels.map((l) => (l in RFM_CLASS_NAMES ? `${l} ${RFM_CLASS_NAMES[l as keyof typeof RFM_CLASS_NAMES]}` : l)).join(' × ');
}

/** A plain-text table of one round: a row per cell, columns count and means, each ± its 95% interval. */
export function roundTable(round: RoundResult, opts: { hideEmpty?: boolean } = {}): string {
  const blocks = [...new Set(round.cells.filter((c) => SHOWN_BLOCK.test(c.block)).map((c) => c.block))];
  const rows = new Map<string, Map<string, ResultCell>>();
  for (const c of round.cells) {
    if (!SHOWN_BLOCK.test(c.block)) continue;
    const key = JSON.stringify(c.labels);
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(c.block, c);
  }
  const header = ['segment', ...blocks];
  const body: string[][] = [];
  for (const [key, cells] of rows) {
    // A cell every node suppressed (or that nobody has) is released as exactly 0 with no noise.
    const empty = [...cells.values()].every((c) => c.estimate === 0);
    if (opts.hideEmpty && empty) continue;
    body.push([rowLabel(JSON.parse(key) as string[]), ...blocks.map((b) => (cells.get(b) ? cellText(cells.get(b)!) : ''))]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** A trained model: per-round loss and validation AUC, then the largest weights. */
export function modelSummary(model: NonNullable<JobResult['model']>): string {
  const t = model.training;
  const out = [`   model ${model.name}: ${t.optimiser}, ${t.roundsDone}/${t.roundsPlanned} rounds, epsilon ${t.epsilonPerNode} per node, noise ${t.noise ? 'on' : 'OFF (test only)'}, nodes ${t.nodes.join(', ')}`];
  for (const h of t.history) {
    out.push(`   round ${h.round}: loss ${h.loss === null ? '-' : h.loss.toFixed(4)}, validation AUC ${h.auc === null ? '-' : h.auc.toFixed(3)}, ${h.nodes} nodes`);
  }
  const top = Object.entries(model.weights)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, 8);
  out.push(`   intercept ${model.intercept.toFixed(4)}; largest weights: ${top.map(([k, w]) => `${k} ${w >= 0 ? '+' : ''}${w.toFixed(3)}`).join(', ')}`);
  return out.join('\n');
}

/** The whole job: a heading, the privacy facts, and a table per round. */
export function jobReport(result: JobResult): string {
  const out = [`== ${result.name} [${result.kind}] — ${result.status}`];
  if (result.failure) out.push(`   failed: ${result.failure.code}: ${result.failure.message}`);
  if (result.rfmMeans) {
    const m = result.rfmMeans;
    out.push(`   federated means (round 0): recency ${m.recency.toFixed(1)} days, frequency ${m.frequency.toFixed(2)}, monetary ${m.monetary.toFixed(2)}`);
  }
  if (result.model) {
    out.push(modelSummary(result.model));
    return out.join('\n');
  }
  for (const r of result.rounds) {
    out.push(
      `-- round ${r.round}: ${r.name}; ${r.contributingNodes.length} nodes (${r.contributingNodes.join(', ')}); epsilon ${r.epsilonPerNode} per node; noise ${r.noise}`
    );
    out.push(roundTable(r, { hideEmpty: true }));
    for (const n of r.notes) out.push(`   note: ${n}`);
  }
  return out.join('\n');
}
