/**
 * How every CLI table and console page writes a released figure (docs/analytics.md "How
 * results read"), so the same number reads the same in `job result`, `simulate`, `node stats`
 * and the consoles:
 *
 * - counts (rows, customers, exposures, conversions): whole numbers with thousands separators,
 *   `12,345`;
 * - every other figure (sums, means, money, spreads, epsilons, losses): 3 significant digits, but
 *   never fewer digits than the integer part has, so `0.0123`, `2.96`, `106`, `5,762`,
 *   `1,234,568`; below 1e-4 in scientific notation (`1.23E-5`) rather than a run of zeros.
 *
 * Three significant digits is what DP error bars support: at the default epsilons a mean's 95%
 * half-width is rarely under 0.1% of it, so a fourth digit is noise. -0 is written as 0.
 */

const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const SIG3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
const SCI = new Intl.NumberFormat('en-US', { notation: 'scientific', maximumSignificantDigits: 3 });

/** Smallest magnitude written positionally; below it `SCI`. */
const POSITIONAL_MIN = 1e-4;

/** A count: rounded to a whole number, with thousands separators (`-0` and `-0.4` give `0`). */
export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const r = Math.round(x);
  return WHOLE.format(r === 0 ? 0 : r);
}

/** Any other figure: 3 significant digits, whole from 100 up, with thousands separators. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 100) return WHOLE.format(x);
  return a < POSITIONAL_MIN ? SCI.format(x) : SIG3.format(x);
}

/** Which of the two forms a figure takes: `count` for counts, `value` for everything else. */
export type FigureKind = 'count' | 'value';

export function formatFigure(x: number, kind: FigureKind): string {
  return kind === 'count' ? formatCount(x) : formatNumber(x);
}
