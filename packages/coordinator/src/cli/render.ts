import {
  modelQualityWarning,
  ownModelCheckLine,
  roundRecordLine,
  formatEstimate,
  formatNumber,
  isSegmentResult,
  segmentTable,
  textTable,
  type JobEvent,
  type JobResult,
  type JobStatus,
  type ResultCell,
  type RoundResult,
  type SegmentTable,
} from '@fedmark/protocol';
import { overlapLines } from './render-overlap.ts';

/** One line summarising a job's current round for `job watch`. */
export function statusLine(s: JobStatus, now: number): string {
  const r = s.rounds[s.rounds.length - 1];
  if (!r) return `${s.jobId} [${s.status}]`;
  const count = (st: string) => r.nodes.filter((n) => n.state === st).length;
  const deadline = r.deadline
    ? Math.max(0, Math.round((Date.parse(r.deadline) - now) / 1000))
    : null;
  const decrypt = r.decryptions.length
    ? ` · decryptions ${r.decryptions.filter((d) => d.agrees !== null).length}/${r.decryptions.length}`
    : '';
  const time =
    (r.status === 'setup' || r.status === 'open') && deadline !== null
      ? ` · deadline in ${deadline}s`
      : '';
  return `${s.jobId} [${s.status}] round ${r.round} ${r.status}: ${count('submitted')}/${r.nodes.length} submitted, ${count('refused')} refused, ${count('pending')} pending (min ${s.minNodes})${decrypt}${time}`;
}

/** One line per job event. */
export function eventLine(e: JobEvent): string {
  const t = e.at.slice(11, 19);
  const who = e.node ? ` ${e.node}` : '';
  const d = e.detail;
  let extra = '';
  if (e.type === 'refusal_recorded') extra = `: ${String(d['reason'])}`;
  else if (e.type === 'submission_accepted')
    extra = ` (${String(d['submitted'])} of ${String(d['of'])})`;
  else if (e.type === 'round_closed') extra = `: ${String(d['reason'])}`;
  else if (e.type === 'job_failed') extra = `: [${String(d['code'])}] ${String(d['message'])}`;
  else if (e.type === 'aggregate_stored')
    extra = `: decryptors ${(d['decryptors'] as string[] | undefined)?.join(', ') ?? ''}`;
  else if (e.type === 'round_opened' && d['means'])
    extra = `: means ${meansText(d['means'] as Record<string, unknown>)}`;
  return `${t} round ${e.round ?? '-'} ${e.type.replace(/_/g, ' ')}${who}${extra}`;
}

/** `recency_days 368, frequency 2.96, monetary 106`: the phase-1 means, through the number formatter. */
function meansText(means: Record<string, unknown>): string {
  return Object.entries(means)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : String(v)}`)
    .join(', ');
}

const cellEstimate = (c: ResultCell) => ({
  estimate: c.estimate,
  sd: c.noiseStd,
  low: c.ci95[0],
  high: c.ci95[1],
});

/**
 * The table of one published round and its footnotes, as `job result` and `simulate` both print
 * it: a segment round through the protocol's segmentTable (cells released as exactly 0 left out
 * and counted), any other round (train) one row per cell and block.
 */
export function roundBody(r: RoundResult): SegmentTable {
  if (isSegmentResult(r.interpretation)) return segmentTable(r.interpretation, { hideEmpty: true });
  const rows = r.cells.map((c) => [
    c.labels.join(' / ') || 'all',
    c.block,
    formatEstimate(cellEstimate(c), c.block === 'count' || c.block === 'total' ? 'count' : 'value'),
  ]);
  return {
    table: textTable(['cell', 'block', 'estimate'], rows, { align: ['left', 'left', 'right'] }),
    notes: [],
  };
}

function roundTable(r: RoundResult): string {
  const body = roundBody(r);
  const lines = [
    `${r.name} (round ${r.round}): ${r.contributingNodes.length} nodes [${r.contributingNodes.join(', ')}], epsilon ${formatNumber(r.epsilonPerNode)} per node, noise ${r.noise}`,
    body.table,
  ];
  if (isSegmentResult(r.interpretation))
    lines.push(`total rows counted: ${formatEstimate(r.interpretation.total, 'count')}`);
  for (const n of [...body.notes, ...r.notes]) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/**
 * Readable result: one table per published round, estimates ± half-width of the 95% interval
 * of the noise, numbers through the protocol's formatter (docs/coordinator.md "Reading `job result`").
 */
export function resultText(res: JobResult): string {
  const parts = [`job ${res.jobId} "${res.name}" (${res.kind}): ${res.status}`];
  if (res.failure) parts.push(`failed: [${res.failure.code}] ${res.failure.message}`);
  // Nodes left out by their own refusal, e.g. too few rows (docs/models.md §9 "Too few rows").
  for (const x of res.excluded ?? [])
    parts.push(
      `excluded: ${x.node} from round${x.rounds.length === 1 ? '' : 's'} ${x.rounds.join(', ')}: ${x.reason}`
    );
  if (res.rfmMeans)
    parts.push(
      `federated RFM means: recency ${formatNumber(res.rfmMeans.recency)} days, frequency ${formatNumber(res.rfmMeans.frequency)}, monetary ${formatNumber(res.rfmMeans.monetary)}`
    );
  if (res.model) {
    const t = res.model.training;
    parts.push(
      `model "${res.model.name}": ${t.roundsDone} of ${t.roundsPlanned} ${t.optimiser} rounds, epsilon ${formatNumber(t.epsilonPerNode)} per node${t.noise ? '' : ' (NO NOISE: test only)'}; export with "fedmark model export ${res.jobId} --out model.json"`
    );
    // Entry i describes the model entering optimiser round i (docs/models.md §6).
    for (const h of t.history) parts.push(`  ${roundRecordLine(h)}`);
    const warning = modelQualityWarning(res.model);
    if (warning) parts.push(`  ${warning}`);
    // Against each node's own model (docs/models.md §6); a running job may still be checking.
    const check = res.status === 'running' ? null : ownModelCheckLine(res.model);
    if (check) parts.push(`  ${check}`);
  }
  if (res.overlap) parts.push(...overlapLines(res.overlap));
  for (const r of res.rounds) parts.push('', roundTable(r));
  return `${parts.join('\n')}\n`;
}
