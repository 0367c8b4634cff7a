import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { SegmentQuerySchema, type SegmentQuery } from '@fedmark/protocol';
import { CliError, EXIT } from '../exit-codes.ts';

/** Reads a UTF-8 file for a command; an error names the file and why it could not be read. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      EXIT.INPUT_INVALID,
      `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`
    );
  }
}

/** Reads a JSON file; errors name the file and, for syntax errors, the line and column. */
export function readJsonFile(file: string): unknown {
  const text = readTextFile(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    let where = '';
    if (m) {
      const before = text.slice(0, Number(m[1])).split('\n');
      where = ` at line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
    }
    throw new CliError(EXIT.INPUT_INVALID, `${file}: not valid JSON${where}`);
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
      ''
    ) || '(top level)'
  );
}

/** Validates a value read from `file`; the error names the file and the first bad field. */
export function parseFileValue<TSchema extends z.ZodType>(
  file: string,
  schema: TSchema,
  value: unknown
): z.infer<TSchema> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      EXIT.INPUT_INVALID,
      `${file}: field "${fieldPath(issue?.path ?? [])}": ${issue?.message ?? 'invalid'}`
    );
  }
  return parsed.data;
}

/** Reads and validates a SegmentQuery file, optionally overriding its epsilon. */
export function readQueryFile(file: string, epsilon?: number): SegmentQuery {
  const raw = readJsonFile(file);
  const input =
    epsilon !== undefined && typeof raw === 'object' && raw !== null ? { ...raw, epsilon } : raw;
  return parseFileValue(file, SegmentQuerySchema, input);
}
