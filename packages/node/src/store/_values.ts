/**
 * Internal: typing of CSV cell values for customer attributes and feature tables. A column's
 * type is the join of its values' types (integer < real < text), so a column is numeric exactly
 * when every non-empty value in it is numeric. Integers must be canonical (no leading zeros or
 * '+'), so a text column keeps '007' as text and a number read back as text is the same string.
 */
export type ColumnType = 'integer' | 'real' | 'text';
export type CellValue = string | number | null;

const INTEGER_RE = /^-?(0|[1-9]\d*)$/;
const REAL_RE = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

export interface TypedCell {
  value: CellValue;
  type: ColumnType | null;
}

/** '' is null; canonical safe integers are integers; other finite decimals are reals; the rest text. */
export function typeCell(raw: string): TypedCell {
  if (raw === '') return { value: null, type: null };
  if (INTEGER_RE.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n)) return { value: n, type: 'integer' };
  }
  if (REAL_RE.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n)) return { value: n, type: 'real' };
  }
  return { value: raw, type: 'text' };
}

export function joinType(a: ColumnType | null, b: ColumnType | null): ColumnType | null {
  if (a === null) return b;
  if (b === null || a === b) return a;
  if (a === 'text' || b === 'text') return 'text';
  return 'real';
}

/** Reads a stored value back in its column's declared type. */
export function coerceCell(value: unknown, type: ColumnType): CellValue {
  if (value === null || value === undefined) return null;
  if (type === 'text') return typeof value === 'string' ? value : String(value);
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const n = Number(value);
  return Number.isFinite(n) ? n : String(value);
}
