/** Internal: header checks shared by every format. Problems name the column (line 1). */
import { RowProblem } from './_csv-stream.ts';

export interface HeaderSpec {
  required: readonly string[];
  optional: readonly string[];
  /** When true, columns outside required/optional are allowed and returned as `extra`. */
  allowExtra: boolean;
}

export interface MappedHeader {
  /** Column name → index in the record, for the known columns present. */
  index: Map<string, number>;
  /** Other columns (allowExtra only), in file order, with their original spelling. */
  extra: { name: string; index: number }[];
}

export function mapHeader(cells: readonly string[], spec: HeaderSpec): MappedHeader {
  const known = new Set([...spec.required, ...spec.optional]);
  const seen = new Map<string, number>();
  const index = new Map<string, number>();
  const extra: { name: string; index: number }[] = [];
  cells.forEach((raw, i) => {
    if (raw === '') throw new RowProblem(null, null, `header column ${i + 1} has no name`);
    const key = raw.toLowerCase();
    if (seen.has(key))
      throw new RowProblem(
        raw,
        null,
        `duplicate column in header (columns ${(seen.get(key) ?? 0) + 1} and ${i + 1})`
      );
    seen.set(key, i);
    if (known.has(key)) index.set(key, i);
    else if (spec.allowExtra) extra.push({ name: raw, index: i });
    else
      throw new RowProblem(
        raw,
        null,
        `unknown column; expected ${[...spec.required, ...spec.optional].join(', ')}`
      );
  });
  for (const r of spec.required) {
    if (!index.has(r))
      throw new RowProblem(r, null, `required column "${r}" is missing from the header`);
  }
  return { index, extra };
}
