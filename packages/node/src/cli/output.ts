import { textTable } from '@fedmark/protocol';

/** JSON for --json: one document, bigints as decimal strings (JSON has no 64-bit integers). */
export function toJson(value: unknown): string {
  return (
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(10) : v), 2) +
    '\n'
  );
}

/** The CLI table (protocol results/text-table.ts: numeric columns right-aligned) with a final newline. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[]
): string {
  return `${textTable(header, rows)}\n`;
}
