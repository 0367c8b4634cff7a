import { dimensionLabels, type Dimension, type QueryUnit } from '@fedmark/protocol';
import type { DeriveContext, FieldValue } from './customer-fields.ts';
import { resolveField, type Getter, type RowCursor } from './field-catalog.ts';

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A field value as a number for bins and measures: finite numbers as they are, numeric strings
 * (e.g. a text attribute "42") parsed, anything else (null, labels, NaN, Infinity) is missing.
 */
export function toNumber(v: FieldValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && NUMERIC.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A dimension compiled to "row -> position among its labels" (labels as in layout.ts). */
export interface CompiledDimension {
  labels: string[];
  position(x: RowCursor, k: DeriveContext): number;
}

function categoryDimension(
  get: Getter,
  categories: readonly string[],
  labels: string[]
): CompiledDimension {
  const index = new Map(categories.map((c, i) => [c, i]));
  const other = categories.length; // __other__: undeclared or missing
  return {
    labels,
    position(x, k) {
      const v = get(x, k);
      if (v === null || v === undefined) return other;
      return index.get(typeof v === 'string' ? v : String(v)) ?? other;
    },
  };
}

function binDimension(get: Getter, edges: readonly number[], labels: string[]): CompiledDimension {
  const e = Float64Array.from(edges);
  const n = e.length;
  return {
    labels,
    position(x, k) {
      const v = toNumber(get(x, k));
      if (v === null) return n + 1; // __missing__
      if (v < (e[0] as number)) return 0; // <e0
      // Largest i with e[i] <= v; cell i + 1 is [e_i, e_i+1), or >=e_{n-1} when i = n - 1.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((e[mid] as number) <= v) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    },
  };
}

export function compileDimension(
  unit: QueryUnit,
  d: Dimension,
  tables: string[]
): CompiledDimension {
  const get = resolveField(unit, d.field, tables);
  const labels = dimensionLabels(d);
  return 'categories' in d
    ? categoryDimension(get, d.categories, labels)
    : binDimension(get, d.edges, labels);
}

/** Mixed-radix cell index, first dimension outermost: the order of layout.cells. */
export function compileCellIndex(
  dims: readonly CompiledDimension[]
): (x: RowCursor, k: DeriveContext) => number {
  const strides: number[] = new Array<number>(dims.length);
  let stride = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= (dims[i] as CompiledDimension).labels.length;
  }
  if (dims.length === 0) return () => 0;
  if (dims.length === 1) {
    const d0 = dims[0] as CompiledDimension;
    return (x, k) => d0.position(x, k);
  }
  return (x, k) => {
    let cell = 0;
    for (let i = 0; i < dims.length; i++) {
      cell += (dims[i] as CompiledDimension).position(x, k) * (strides[i] as number);
    }
    return cell;
  };
}
