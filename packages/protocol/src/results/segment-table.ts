/**
 * A SegmentResult as the CLI table every command prints (`job result`, `simulate`, `node stats`),
 * so the same result reads the same everywhere (docs/coordinator.md "Reading `job result`").
 */
import { RFM_CLASS_NAMES } from '../schemas/segment-query.ts';
import { Z_95, type Estimate } from './estimate.ts';
import type { CellResult, SegmentResult } from './interpret.ts';
import { formatFigure, type FigureKind } from './number-format.ts';
import type { ProjectedEstimate, RatioEstimate } from './post-process.ts';
import { textTable, type Align } from './text-table.ts';

/** Appended to an unreliable figure; the table's notes explain it. */
export const UNRELIABLE_MARK = '†';

/** A cell label as people read it: RFM class codes get their names (`R+F+M+ important value`). */
export function segmentLabel(label: string): string {
  const name = (RFM_CLASS_NAMES as Record<string, string | undefined>)[label];
  return name ? `${label} ${name}` : label;
}

const isUnreliable = (e: Estimate): boolean => (e as Partial<RatioEstimate>).unreliable === true;
const wasProjected = (e: Estimate): boolean => {
  const raw = (e as Partial<ProjectedEstimate>).raw;
  return raw !== undefined && raw !== e.estimate;
};

/**
 * `estimate ± half-width` of the noise's 95% interval (1.96 sd, as released: a projected value
 * keeps the noise it had), `estimate` alone when exact, ` †` after an unreliable figure, `-` for none.
 */
export function formatEstimate(e: Estimate | null | undefined, kind: FigureKind): string {
  if (!e) return '-';
  const half = Z_95 * e.sd;
  const text =
    half > 0
      ? `${formatFigure(e.estimate, kind)} ± ${formatFigure(half, kind)}`
      : formatFigure(e.estimate, kind);
  return isUnreliable(e) ? `${text} ${UNRELIABLE_MARK}` : text;
}

export interface SegmentTableOptions {
  /** Also a `sum <measure>` column before each mean (`node stats`); `job result` and `simulate` show counts and means. */
  sums?: boolean;
  /**
   * Leave out cells released as exactly 0 in every slot (suppressed at every node, or empty) and
   * say how many in the notes.
   */
  hideEmpty?: boolean;
  /** Cells shown as `suppressed` (a node knows its own: under noise their slots have variance 0). */
  suppressed?: (cell: CellResult) => boolean;
}

export interface SegmentTable {
  table: string;
  /** Footnotes for what the table shows: hidden cells, the unreliable mark, projected values. */
  notes: string[];
}

/** One row per cell: its labels (one column per dimension), the count, then per measure [sum and] mean. */
export function segmentTable(seg: SegmentResult, options: SegmentTableOptions = {}): SegmentTable {
  const width = seg.cells[0]?.labels.length ?? 0;
  const dims =
    width === 0
      ? ['segment']
      : (seg.dimensions ?? Array.from({ length: width }, (_, i) => `dimension ${i + 1}`));
  const header = [
    ...dims,
    'count',
    ...seg.measures.flatMap((m) => (options.sums ? [`sum ${m}`, `mean ${m}`] : [`mean ${m}`])),
  ];
  const align: Align[] = header.map((_, i) => (i < dims.length ? 'left' : 'right'));
  const rows: string[][] = [];
  let hidden = 0;
  let unreliable = false;
  let projected = false;
  for (const c of seg.cells) {
    const labels = width === 0 ? ['all'] : c.labels.map(segmentLabel);
    const ms = seg.measures.map((m) => c.measures[m]);
    if (options.hideEmpty && rawOf(c.count) === 0 && ms.every((m) => !m || rawOf(m.sum) === 0)) {
      hidden++;
      continue;
    }
    if (options.suppressed?.(c)) {
      rows.push([
        ...labels,
        'suppressed',
        ...ms.flatMap(() => (options.sums ? ['-', '-'] : ['-'])),
      ]);
      continue;
    }
    const shown: (Estimate | null)[] = [c.count];
    const row = [...labels, formatEstimate(c.count, 'count')];
    for (const m of ms) {
      if (options.sums) {
        row.push(formatEstimate(m?.sum, 'value'));
        shown.push(m?.sum ?? null);
      }
      row.push(formatEstimate(m?.mean, 'value'));
      shown.push(m?.mean ?? null);
    }
    for (const e of shown) {
      if (!e) continue;
      unreliable ||= isUnreliable(e);
      projected ||= wasProjected(e);
    }
    rows.push(row);
  }
  const notes: string[] = [];
  if (hidden > 0)
    notes.push(
      `${hidden} cell(s) released as exactly 0 (suppressed at every node, or empty) are not shown.`
    );
  if (unreliable) {
    notes.push(
      `${UNRELIABLE_MARK} unreliable: a noisy count under ${seg.minReliableCount}, a 95% interval wider than the estimate, or a noisy value outside its possible range; --json gives each reason.`
    );
  }
  if (projected) {
    notes.push(
      'Counts and sums that cannot be negative are shown projected to 0 or more, and means clamped into their clipping bounds; --json keeps each released value as "raw".'
    );
  }
  return { table: textTable(header, rows, { align }), notes };
}

/** The released value (stored results from before projection have no `raw`). */
function rawOf(e: Estimate): number {
  return (e as Partial<ProjectedEstimate>).raw ?? e.estimate;
}
