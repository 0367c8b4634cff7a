// Display helpers shared by the console pages. Every value they return is still escaped by
// hono/jsx when rendered; these only choose how numbers and times read.
import { formatCount, formatFigure, formatNumber, type FigureKind } from '@fedmark/protocol';

/** Numbers as every CLI prints them (protocol results/number-format.ts): counts whole, others 3 significant digits. */
export const fmtNumber = formatNumber;
export const fmtCount = formatCount;

/** Times and hex values read the same as on the node console (the kit's formatters). */
export { formatUtc as fmtTime, shortHex } from '@fedmark/protocol/console';

/** How long ago, in words a person reads at a glance ("12 s ago", "3 min ago", "5 h ago"). */
export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

/** 95% interval as `low – high`, both ends written as `kind` figures. */
export function fmtInterval(ci: readonly [number, number], kind: FigureKind = 'value'): string {
  return `${formatFigure(ci[0], kind)} – ${formatFigure(ci[1], kind)}`;
}
