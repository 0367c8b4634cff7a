/**
 * The one plain-text table of every CLI (`job result`, `simulate`, `node stats`, `node budget`,
 * `node ledger`, ...): a header, a rule of dashes, then the rows; columns padded to their widest
 * cell and separated by two spaces, numeric columns right-aligned. No borders and no colour, so
 * the output pipes and diffs cleanly. Widths count UTF-16 code units: right for the ASCII,
 * `±`, `×` and `†` these tables use, not for wide (CJK) or combining characters in labels.
 */

export type Align = 'left' | 'right';

/** A cell that reads as a number: `1,234`, `-0.5`, `12%`, `106 ± 2.1`, `5,762 ± 15,687 †`, or a placeholder. */
const NUMERIC_CELL =
  /^(?:[-+]?[\d.,]+(?:E-?\d+)?%?(?: ± [\d.,]+(?:E-?\d+)?%?)?(?: †)?|suppressed|-)$/;

export interface TextTableOptions {
  /** Alignment per column; by default a column is right-aligned when every body cell is numeric. */
  align?: readonly Align[];
}

/** Renders a table without a trailing newline; trailing spaces are trimmed from each line. */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  options: TextTableOptions = {}
): string {
  const body = rows.map((r) => header.map((_, i) => String(r[i] ?? '')));
  const align = header.map(
    (_, i): Align =>
      options.align?.[i] ??
      (body.length > 0 && body.every((r) => NUMERIC_CELL.test(r[i] as string)) ? 'right' : 'left')
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((r) => (r[i] as string).length))
  );
  const line = (r: readonly string[]) =>
    r
      .map((c, i) =>
        align[i] === 'right' ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
