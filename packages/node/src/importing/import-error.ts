import { ProtocolError } from '@fedmark/protocol';

const MAX_VALUE_CHARS = 40;

/** Shortens a cell for an error message; the file is the user's own data, but logs travel. */
export function truncateValue(value: string): string {
  return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
}

/**
 * A rejected CSV import. The message reads `file:line: column "c": value "v": reason`; the same
 * facts are fields for programs. Nothing was written: the import runs in one transaction.
 */
export class ImportError extends ProtocolError {
  readonly file: string;
  /** 1-based physical line of the record (the header is line 1). */
  readonly line: number;
  /** Column name as in the header, or null for file-level problems. */
  readonly column: string | null;
  /** The offending value, truncated, or null. */
  readonly value: string | null;
  readonly reason: string;
  /** 0-based byte offset in the file of the first byte that is not valid in its encoding, or null. */
  readonly byteOffset: number | null;

  constructor(
    at: {
      file: string;
      line: number;
      column?: string | null;
      value?: string | null;
      reason: string;
      byteOffset?: number | null;
    },
    cause?: unknown
  ) {
    const column = at.column ?? null;
    const value = at.value === undefined || at.value === null ? null : truncateValue(at.value);
    const parts = [`${at.file}:${at.line}`];
    if (column !== null) parts.push(`column "${column}"`);
    if (value !== null) parts.push(`value ${JSON.stringify(value)}`);
    super('IMPORT_INVALID', `${parts.join(': ')}: ${at.reason}`, cause);
    this.name = 'ImportError';
    this.file = at.file;
    this.line = at.line;
    this.column = column;
    this.value = value;
    this.reason = at.reason;
    this.byteOffset = at.byteOffset ?? null;
  }
}
