/**
 * Internal: streams a CSV file through csv-parse (quoting, BOM, CRLF handled by the library),
 * hashing the raw bytes as they pass and calling `onRecord` synchronously per record. Never holds
 * more than the stream buffers in memory.
 *
 * Line numbers are not tracked on the hot path (csv-parse's per-record context costs more than
 * the rest of the import); when a record is rejected, the file is parsed a second time up to that
 * record to find its physical line, which quoted multi-line cells make impossible to guess.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { parse, type CastingContext } from 'csv-parse';
import { ImportError } from './import-error.ts';
import { createUtf8Check, locateByte } from './_utf8.ts';
import type { ImportEncoding } from './formats.ts';

export interface CsvStreamResult {
  fileHash: string;
  records: number;
  bytes: number;
}

/** Thrown by handlers for a bad cell; streamCsv turns it into an ImportError with the line. */
export class RowProblem extends Error {
  constructor(
    readonly column: string | null,
    readonly value: string | null,
    readonly reason: string,
    /** An earlier data record (0-based) the problem refers to; its line is added to the reason. */
    readonly earlierRecord?: number
  ) {
    super(reason);
  }
}

export interface CsvStreamHandlers {
  /** Called once with the header cells (line 1). */
  onHeader(cells: string[]): void;
  /** Called for every data record; throw RowProblem (or ImportError) to abort. */
  onRecord(cells: string[]): void;
  onProgress?: (records: number, bytes: number, totalBytes: number) => void;
}

const PROGRESS_EVERY = 100_000;
const PARSE_OPTIONS = {
  bom: true,
  trim: true,
  skip_empty_lines: true,
  relax_column_count: false,
} as const;

export function streamCsv(
  file: string,
  label: string,
  h: CsvStreamHandlers,
  encoding: ImportEncoding = 'utf-8'
): Promise<CsvStreamResult> {
  let totalBytes: number;
  try {
    totalBytes = statSync(file).size;
  } catch {
    return Promise.reject(
      new ImportError({
        file: label,
        line: 0,
        reason: 'cannot read the file (missing or not accessible)',
      })
    );
  }
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let records = 0;
    let sawHeader = false;
    let done = false;
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    // Latin-1 maps every byte to the code point of the same value: nothing can be invalid.
    const parser = parse({ ...PARSE_OPTIONS, encoding: encoding === 'latin1' ? 'latin1' : 'utf8' });
    const utf8 = encoding === 'utf-8' ? createUtf8Check() : null;
    const badByte = (offset: number): void => {
      if (done) return;
      done = true;
      input.destroy();
      parser.destroy();
      const found = Buffer.alloc(1);
      const describe = (): string => {
        try {
          const fd = openSync(file, 'r');
          const n = readSync(fd, found, 0, 1, offset);
          closeSync(fd);
          return n === 1
            ? `byte 0x${(found[0] as number).toString(16).padStart(2, '0')} is not valid here`
            : 'the file ends inside a character';
        } catch {
          return 'invalid byte';
        }
      };
      const why = describe();
      locateByte(file, offset).then(
        (at) =>
          reject(
            new ImportError({
              file: label,
              line: at.line,
              column: at.column,
              byteOffset: offset,
              reason: `invalid UTF-8 at byte offset ${offset} (byte ${at.byteInLine} of line ${at.line}): ${why}; if the file is Latin-1, import it with --encoding latin1`,
            })
          ),
        () =>
          reject(
            new ImportError({
              file: label,
              line: 0,
              byteOffset: offset,
              reason: `invalid UTF-8 at byte offset ${offset}: ${why}`,
            })
          )
      );
    };
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      input.destroy();
      parser.destroy();
      if (err instanceof RowProblem) {
        // Record index `records` (0-based among data records) → header is record 0 of the file.
        const earlier = err.earlierRecord;
        Promise.all([
          lineOfRecord(file, records + 1),
          earlier === undefined ? Promise.resolve(0) : lineOfRecord(file, earlier + 1),
        ]).then(
          ([line, first]) =>
            reject(
              new ImportError({
                file: label,
                line,
                column: err.column,
                value: err.value,
                reason:
                  earlier === undefined ? err.reason : `${err.reason} (first at line ${first})`,
              })
            ),
          () =>
            reject(
              new ImportError({
                file: label,
                line: 0,
                column: err.column,
                value: err.value,
                reason: err.reason,
              })
            )
        );
        return;
      }
      reject(err);
    };
    // Registered before pipe(): each chunk is checked before the parser sees it.
    input.on('data', (chunk) => {
      if (done) return;
      const bad = utf8?.push(chunk as Buffer) ?? null;
      if (bad !== null) {
        badByte(bad);
        return;
      }
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    });
    input.on('end', () => {
      const bad = utf8?.end() ?? null;
      if (bad !== null) badByte(bad);
    });
    input.on('error', () => fail(new ImportError({ file: label, line: 0, reason: 'read error' })));
    parser.on('error', (err: Error & { lines?: number; code?: string }) => {
      const line = typeof err.lines === 'number' ? err.lines : 0;
      fail(
        new ImportError(
          {
            file: label,
            line,
            reason: `malformed CSV (${err.code ?? 'parse error'}): ${err.message}`,
          },
          err
        )
      );
    });
    parser.on('readable', () => {
      try {
        while (!done) {
          const rec = parser.read() as string[] | null;
          if (rec === null) break;
          if (!sawHeader) {
            sawHeader = true;
            try {
              h.onHeader(rec);
            } catch (err) {
              // Header problems are on line 1 whatever the parser has read since.
              throw err instanceof RowProblem
                ? new ImportError({
                    file: label,
                    line: 1,
                    column: err.column,
                    value: err.value,
                    reason: err.reason,
                  })
                : err;
            }
            continue;
          }
          h.onRecord(rec);
          records++;
          if (h.onProgress && records % PROGRESS_EVERY === 0)
            h.onProgress(records, bytes, totalBytes);
        }
      } catch (err) {
        fail(err);
      }
    });
    parser.on('end', () => {
      if (done) return;
      done = true;
      if (!sawHeader) {
        reject(
          new ImportError({
            file: label,
            line: 1,
            reason: 'the file is empty: a header line is required',
          })
        );
        return;
      }
      h.onProgress?.(records, bytes, totalBytes);
      resolve({ fileHash: hash.digest('hex'), records, bytes });
    });
    input.pipe(parser);
  });
}

/** Physical line (1-based) on which record number `index` (0-based, header = 0) ends. */
function lineOfRecord(file: string, index: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let found = false;
    const input = createReadStream(file);
    const parser = parse({
      ...PARSE_OPTIONS,
      on_record: (r: string[], ctx: CastingContext) => {
        if (!found && seen === index) {
          found = true;
          resolve(ctx.lines);
          input.destroy();
        }
        seen++;
        return r;
      },
    });
    parser.on('error', reject);
    parser.on('data', () => undefined);
    parser.on('end', () => (found ? undefined : reject(new Error('record not found'))));
    input.pipe(parser);
  });
}
