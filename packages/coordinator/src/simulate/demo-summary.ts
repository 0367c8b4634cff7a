import {
  abTestSummary,
  type AbTestSummary,
  type Estimate,
  type JobResult,
  type SegmentResult,
} from '@fedmark/protocol';

/**
 * What `fedmark simulate` adds after a job's tables: the lift of an A/B job, read with the
 * protocol's abTestSummary, and for a train job the epsilon each node spent and where the model
 * file is. Pure functions of the published result, so `--json` carries the same figures.
 */

const CONTROL = 'A';

/** The A/B reading of a segment job whose query has `campaign` and `variant` dimensions and a `converted` measure, else null. */
export function abTestOf(result: JobResult): AbTestSummary | null {
  const round = result.rounds[result.rounds.length - 1];
  const seg = round?.interpretation as SegmentResult | undefined;
  const dims = seg?.dimensions ?? [];
  if (
    result.kind !== 'segment_stats' ||
    !seg ||
    !dims.includes('variant') ||
    !seg.measures.includes('converted')
  )
    return null;
  if (!seg.cells.some((c) => c.labels[dims.indexOf('variant')] === CONTROL)) return null;
  return abTestSummary(seg, {
    variantDimension: 'variant',
    controlVariant: CONTROL,
    ...(dims.includes('campaign') ? { segmentDimension: 'campaign' } : {}),
  });
}

const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;
const signed = (s: string): string => (s.startsWith('-') ? s : `+${s}`);
const interval = (e: Estimate, f: (x: number) => string): string =>
  `${signed(f(e.estimate))} [${signed(f(e.low))}, ${signed(f(e.high))}]`;

/** One line per group (campaign) and variant other than the control: rates, difference and relative lift with 95% intervals. */
export function abTestReport(summary: AbTestSummary): string {
  const header = [
    'campaign',
    'exposed A',
    'rate A',
    'exposed B',
    'rate B',
    'B - A (points)',
    'lift B/A',
    'p',
  ];
  const rows: string[][] = [];
  for (const g of summary.groups) {
    if (g.segment === '__other__') continue;
    const control = g.variants.find((v) => v.variant === summary.control);
    for (const v of g.variants) {
      if (v.variant === summary.control || v.variant === '__other__' || !control) continue;
      const rate = (r: Estimate | null) =>
        r ? `${pct(r.estimate, 2)} ± ${pct(r.high - r.estimate, 2)}` : '-';
      rows.push([
        g.segment ?? 'all',
        control.exposed.estimate.toFixed(0),
        rate(control.rate),
        v.exposed.estimate.toFixed(0),
        rate(v.rate),
        v.difference ? interval(v.difference, (x) => (x * 100).toFixed(2)) : '-',
        // A ratio over a control rate that may be 0 is meaningless (the delta method gives bars of
        // thousands of percent): the lift is shown only when A's interval is above 0.
        v.lift && control.rate && control.rate.low > 0 ? interval(v.lift, (x) => pct(x, 0)) : '-',
        v.pValue === null ? '-' : v.pValue < 0.001 ? '<0.001' : v.pValue.toFixed(3),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `   ${r.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ')}`;
  return [
    `   A/B: conversion per exposure (${summary.converted} / ${summary.exposed === 'count' ? 'assignments' : summary.exposed}) by campaign, B against control ${summary.control};`,
    `   95% intervals include binomial sampling and the DP noise of every contributing node (abTestSummary); lift "-": A's rate is not clearly above 0:`,
    line(header),
    `   ${widths.map((w) => '-'.repeat(w)).join('  ')}`,
    ...rows.map(line),
  ].join('\n');
}

/** Epsilon each node spent on a job: the rounds it contributed to (a node that refused a round spent nothing on it). */
export function epsilonSpentPerNode(result: JobResult): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const r of result.rounds)
    for (const n of r.contributingNodes) spent[n] = (spent[n] ?? 0) + r.epsilonPerNode;
  // Sums of per-round shares in micro-epsilon (docs/models.md): round to the micro unit.
  for (const n of Object.keys(spent)) spent[n] = Math.round((spent[n] as number) * 1e6) / 1e6;
  return spent;
}

/** The lines after a train job's model summary: privacy spent per node and the model file. */
export function modelFooter(result: JobResult, modelFile: string | undefined): string {
  const spent = Object.entries(epsilonSpentPerNode(result)).map(([n, e]) => `${n} ${e}`);
  const out = [`   epsilon spent per node (purpose model_training): ${spent.join(', ')}`];
  if (result.model?.training.history.length)
    out.push(
      `   (round i's AUC is the model entering round i, on the nodes' validation customers; from noisy 20-bin histograms; the intervals count the DP noise and the sampling error)`
    );
  out.push(
    modelFile
      ? `   model file: ${modelFile}\n   score any CSV with these columns: fedmark model score --model ${modelFile} --file churn.csv --out scores.csv`
      : '   model file: not written (give --model-out FILE)'
  );
  return out.join('\n');
}
