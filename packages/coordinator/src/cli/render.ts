import type { Estimate, JobEvent, JobResult, JobStatus, RoundResult, SegmentResult } from '@fedmark/protocol';

/** Compact number: integers as is, others with 4 significant digits. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  return a >= 1000 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

function withError(e: Estimate | null): string {
  if (!e) return '-';
  const half = (e.high - e.low) / 2;
  return half > 0 ? `${fmt(e.estimate)} ± ${fmt(half)}` : fmt(e.estimate);
}

/** One line summarising a job's current round for `job watch`. */
export function statusLine(s: JobStatus, now: number): string {
  const r = s.rounds[s.rounds.length - 1];
  if (!r) return `${s.jobId} [${s.status}]`;
  const count = (st: string) => r.nodes.filter((n) => n.state === st).length;
  const deadline = r.deadline ? Math.max(0, Math.round((Date.parse(r.deadline) - now) / 1000)) : null;
  const decrypt = r.decryptions.length ? ` · decryptions ${r.decryptions.filter((d) => d.agrees !== null).length}/${r.decryptions.length}` : '';
  const time = r.status === 'open' && deadline !== null ? ` · deadline in ${deadline}s` : '';
  return `${s.jobId} [${s.status}] round ${r.round} ${r.status}: ${count('submitted')}/${r.nodes.length} submitted, ${count('refused')} refused, ${count('pending')} pending (min ${s.minNodes})${decrypt}${time}`;
}

/** One line per job event. */
export function eventLine(e: JobEvent): string {
  const t = e.at.slice(11, 19);
  const who = e.node ? ` ${e.node}` : '';
  const d = e.detail;
  let extra = '';
  if (e.type === 'refusal_recorded') extra = `: ${String(d['reason'])}`;
  else if (e.type === 'submission_accepted') extra = ` (${String(d['submitted'])} of ${String(d['of'])})`;
  else if (e.type === 'round_closed') extra = `: ${String(d['reason'])}`;
  else if (e.type === 'job_failed') extra = `: [${String(d['code'])}] ${String(d['message'])}`;
  else if (e.type === 'aggregate_stored') extra = `: decryptors ${(d['decryptors'] as string[] | undefined)?.join(', ') ?? ''}`;
  else if (e.type === 'round_opened' && d['means']) extra = `: means ${JSON.stringify(d['means'])}`;
  return `${t} round ${e.round ?? '-'} ${e.type.replace(/_/g, ' ')}${who}${extra}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

function roundTable(r: RoundResult): string {
  const seg = r.interpretation as SegmentResult | undefined;
  const lines = [
    `${r.name} (round ${r.round}): ${r.contributingNodes.length} nodes [${r.contributingNodes.join(', ')}], epsilon ${r.epsilonPerNode} per node, noise ${r.noise}`,
  ];
  if (seg) {
    const dims = seg.dimensions ?? (seg.cells[0]?.labels.map((_, i) => `dim${i + 1}`) ?? []);
    const header = [...dims, 'count', ...seg.measures.flatMap((m) => [`sum ${m}`, `mean ${m}`])];
    const rows = seg.cells.map((c) => [...c.labels, withError(c.count), ...seg.measures.flatMap((m) => [withError(c.measures[m]?.sum ?? null), withError(c.measures[m]?.mean ?? null)])]);
    lines.push(table([header, ...rows]));
    lines.push(`total rows counted: ${withError(seg.total)}`);
  } else {
    lines.push(table([['cell', 'block', 'estimate ± 95%'], ...r.cells.map((c) => [c.labels.join(' / ') || '(all)', c.block, `${fmt(c.estimate)} ± ${fmt((c.ci95[1] - c.ci95[0]) / 2)}`])]));
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** Readable result: one table per published round, estimates ± half-width of the 95% interval. */
export function resultText(res: JobResult): string {
  const parts = [`job ${res.jobId} "${res.name}" (${res.kind}): ${res.status}`];
  if (res.failure) parts.push(`failed: [${res.failure.code}] ${res.failure.message}`);
  if (res.rfmMeans) parts.push(`federated RFM means: recency ${fmt(res.rfmMeans.recency)} days, frequency ${fmt(res.rfmMeans.frequency)}, monetary ${fmt(res.rfmMeans.monetary)}`);
  if (res.model) {
    const t = res.model.training;
    parts.push(`model "${res.model.name}": ${t.roundsDone} of ${t.roundsPlanned} ${t.optimiser} rounds, epsilon ${t.epsilonPerNode} per node${t.noise ? '' : ' (NO NOISE: test only)'}; export with "fedmark model export ${res.jobId} --out model.json"`);
    // Entry i describes the model entering optimiser round i (docs/models.md §6).
    for (const h of t.history) parts.push(`  round ${h.round}: loss ${h.loss === null ? '-' : fmt(h.loss)}, validation AUC ${h.auc === null ? '-' : fmt(h.auc)}, count ${fmt(h.count)}, ${h.nodes} nodes`);
  }
  for (const r of res.rounds) parts.push('', roundTable(r));
  return `${parts.join('\n')}\n`;
}
