/**
 * Internal: reads a CSV file into batches of records (csv-parse: quoting, BOM, CRLF), checking
 * its bytes as strict UTF-8 and hashing them as they pass. One implementation for both places it
 * runs: on the import's own thread for small files, and in a worker thread for large ones
 * (_csv-parse-worker.ts), so parsing overlaps the SQLite writes (_csv-stream.ts decides).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { createUtf8Check } from './_utf8.ts';
import type { ImportEncoding } from './formats.ts';

export const PARSE_OPTIONS = {
  bom: true,
  trim: true,
  skip_empty_lines: true,
  relax_column_count: false,
} as const;

/** Where the records and the outcome go. Exactly one of badByte/csvError/readError/end is last. */
export interface RecordSink {
  /**
   * Records in file order; `bytes` read so far. Returns false to stop the reading (the sink has
   * dealt with the problem itself); never throws.
   */
  batch(records: string[][], bytes: number): boolean;
  /** The first byte that is not UTF-8, by absolute offset. */
  badByte(offset: number): void;
  csvError(err: { lines?: number; code?: string; message: string }): void;
  /** The file could not be read; `detail` says why where it is known. */
  readError(detail?: string): void;
  end(fileHash: string, bytes: number): void;
}

export interface RecordProducer {
  /**
   * Stops handing out batches until resume(): the parser's buffer fills and pipe() pauses the
   * file, so memory stays bounded however far the consumer falls behind.
   */
  pause(): void;
  resume(): void;
}

/** Starts reading `file`; records arrive in batches of up to `batchSize`. */
export function produceRecords(
  file: string,
  encoding: ImportEncoding,
  sink: RecordSink,
  batchSize: number
): RecordProducer {
  const hash = createHash('sha256');
  let bytes = 0;
  let done = false;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  // Latin-1 maps every byte to the code point of the same value: nothing can be invalid.
  const parser = parse({ ...PARSE_OPTIONS, encoding: encoding === 'latin1' ? 'latin1' : 'utf8' });
  const utf8 = encoding === 'utf-8' ? createUtf8Check() : null;
  const stop = (): void => {
    if (done) return;
    done = true;
    input.destroy();
    parser.destroy();
  };
  const finish = (last: () => void): void => {
    if (done) return;
    stop();
    last();
  };
  // Registered before pipe(): each chunk is checked before the parser sees it.
  input.on('data', (chunk) => {
    if (done) return;
    const bad = utf8?.push(chunk as Buffer) ?? null;
    if (bad !== null) {
      finish(() => sink.badByte(bad));
      return;
    }
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  });
  input.on('end', () => {
    const bad = utf8?.end() ?? null;
    if (bad !== null) finish(() => sink.badByte(bad));
  });
  input.on('error', () => finish(() => sink.readError()));
  parser.on('error', (err: Error & { lines?: number; code?: string }) =>
    finish(() => sink.csvError({ lines: err.lines, code: err.code, message: err.message }))
  );
  let paused = false;
  const drain = (): void => {
    let records: string[][] = [];
    while (!done && !paused) {
      const rec = parser.read() as string[] | null;
      if (rec === null) break;
      records.push(rec);
      if (records.length === batchSize) {
        if (!sink.batch(records, bytes)) {
          stop();
          return;
        }
        records = [];
      }
    }
    if (records.length > 0 && !done && !sink.batch(records, bytes)) stop();
  };
  parser.on('readable', drain);
  parser.on('end', () => finish(() => sink.end(hash.digest('hex'), bytes)));
  input.pipe(parser);
  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      drain();
    },
  };
}
