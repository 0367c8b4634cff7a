import { closeSync, openSync, writeSync } from 'node:fs';

const FLUSH_AT = 1 << 20;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Buffered, synchronous line writer: memory stays bounded (one MiB of text per file) however many
 * rows are written, and synchronous writes keep the generator's output order trivially
 * deterministic without stream back-pressure bookkeeping.
 */
export class LineWriter {
  private readonly fd: number;
  private lines: string[] = [];
  private size = 0;
  rows = 0;

  constructor(path: string, header: readonly string[]) {
    this.fd = openSync(path, 'w', 0o600);
    this.lines.push(header.join(','));
  }

  row(values: readonly (string | number | null)[]): void {
    let line = '';
    for (let i = 0; i < values.length; i++) {
      if (i > 0) line += ',';
      line += csvField(values[i] ?? null);
    }
    this.lines.push(line);
    this.size += line.length;
    this.rows++;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.lines.length > 0) writeSync(this.fd, this.lines.join('\n') + '\n');
    this.lines = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** RFC 4180 quoting, only when needed; null is an empty field. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
