/**
 * Internal: per-column validation with zod, memoised. CSV columns repeat values heavily (event
 * types, channels, dates, the same customer on consecutive rows), and a zod parse costs far more
 * than a Map lookup; the schemas are pure, so a cached result is exactly what zod would return.
 * Each cache is bounded (cleared when full) so a high-cardinality column costs no more memory
 * than a low one.
 */
import type { z } from 'zod';
import { RowProblem } from './_csv-stream.ts';
import type { MappedHeader } from './_header.ts';
import { FAST_ACCEPT } from './formats.ts';

const MAX_CACHED = 8192;
const ADAPT_AFTER = 4096;

export type FieldParser<T> = (cells: readonly string[]) => T;

export function fieldParser<T>(
  schema: z.ZodType<T, string>,
  column: string,
  index: number
): FieldParser<T> {
  let cache: Map<string, T> | null = new Map<string, T>();
  const fast = FAST_ACCEPT.get(schema) as ((s: string) => T | undefined) | undefined;
  let lookups = 0;
  let hits = 0;
  // The previous cell's value: consecutive rows often repeat a cell (the customer of a
  // per-customer export, its event type), and comparing two short strings is cheaper than
  // hashing one for the Map.
  let lastRaw: string | undefined;
  let lastValue: T | undefined;
  const parse = (raw: string): T => {
    if (cache !== null) {
      lookups++;
      const hit = cache.get(raw);
      // Parsed values are never undefined (null stands for an empty cell), so undefined = miss.
      if (hit !== undefined) {
        hits++;
        return hit;
      }
      // A column that rarely repeats (times, amounts) pays a lookup and an insert per cell for
      // nothing: past the first ADAPT_AFTER cells, a column with a fast acceptor and under half
      // hits drops its cache.
      if (lookups >= ADAPT_AFTER && fast && hits * 2 < lookups) cache = null;
    }
    const quick = fast?.(raw);
    if (quick !== undefined) {
      if (cache !== null) {
        if (cache.size >= MAX_CACHED) cache = new Map();
        cache.set(raw, quick);
      }
      return quick;
    }
    const r = schema.safeParse(raw);
    if (!r.success)
      throw new RowProblem(column, raw, r.error.issues[0]?.message ?? 'invalid value');
    if (cache !== null) {
      if (cache.size >= MAX_CACHED) cache = new Map();
      cache.set(raw, r.data);
    }
    return r.data;
  };
  return (cells) => {
    const raw = index < 0 ? '' : (cells[index] as string);
    if (raw === lastRaw) return lastValue as T;
    const value = parse(raw);
    lastRaw = raw;
    lastValue = value;
    return value;
  };
}

/** One memoised parser per column of `shape`; absent optional columns read as ''. */
export function fieldParsers<TShape extends Record<string, z.ZodType<unknown, string>>>(
  shape: TShape,
  header: MappedHeader
): { [K in keyof TShape]: FieldParser<z.output<TShape[K]>> } {
  const out: Record<string, FieldParser<unknown>> = {};
  for (const [column, schema] of Object.entries(shape)) {
    out[column] = fieldParser(schema, column, header.index.get(column) ?? -1);
  }
  return out as { [K in keyof TShape]: FieldParser<z.output<TShape[K]>> };
}
