/**
 * Internal: streams a CSV file's records (read, checked, hashed and parsed by _csv-records.ts,
 * in a worker thread for large files) to `onRecord`, one at a time in file order, and turns every
 * problem into an ImportError naming the line. Never holds more than the stream buffers and a
 * few batches in memory.
 *
 * Line numbers are not tracked on the hot path (csv-parse's per-record context costs more than
 * the rest of the import); when a record is rejected, the file is parsed a second time up to that
 * record to find its physical line, which quoted multi-line cells make impossible to guess.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { parse, type CastingContext } from 'csv-parse';
import { startWorker } from '../_worker-thread.ts';
import { ImportError } from './import-error.ts';
import { locateByte } from './_utf8.ts';
import { PARSE_OPTIONS, produceRecords, type RecordSink } from './_csv-records.ts';
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
/** Records per batch, on either thread. */
const BATCH = 1000;
/**
 * Files at least this large are parsed in a worker thread (_csv-parse-worker.ts): there the
 * thread's start-up (about 20 ms, more when compiled from source) is small against the parse it
 * takes off the importing thread; smaller files parse in line.
 */
export const WORKER_MIN_BYTES = 8 << 20;

export interface StreamCsvOptions {
  encoding?: ImportEncoding;
  /** Parse in a worker from this size on (default WORKER_MIN_BYTES); tests lower it. */
  workerMinBytes?: number;
}

/** The reading side as the consumer sees it: it stops by returning false from `batch`. */
interface Producer {
  /** The consumer finished a batch (flow control for the worker). */
  credit(): void;
}

type WorkerMessage =
  | { type: 'batch'; records: string[][]; bytes: number }
  | { type: 'badByte'; offset: number }
  | { type: 'csvError'; err: { lines?: number; code?: string; message: string } }
  | { type: 'readError' }
  | { type: 'end'; fileHash: string; bytes: number };

function startProducer(
  file: string,
  encoding: ImportEncoding,
  sink: RecordSink,
  inWorker: boolean
): Producer {
  if (!inWorker) {
    produceRecords(file, encoding, sink, BATCH);
    return { credit: () => undefined };
  }
  const worker = startWorker('csv-parse-worker', { file, encoding, batchSize: BATCH });
  let over = false;
  const stop = (): void => {
    if (over) return;
    over = true;
    void worker.terminate();
  };
  worker.on('message', (m: WorkerMessage) => {
    if (over) return;
    switch (m.type) {
      case 'batch':
        if (!sink.batch(m.records, m.bytes)) stop();
        return;
      case 'badByte':
        stop();
        return sink.badByte(m.offset);
      case 'csvError':
        stop();
        return sink.csvError(m.err);
      case 'readError':
        stop();
        return sink.readError();
      case 'end':
        stop();
        return sink.end(m.fileHash, m.bytes);
    }
  });
  worker.on('error', (err) => {
    if (over) return;
    stop();
    sink.readError(`the CSV parser thread failed: ${err.message}`);
  });
  return { credit: () => (over ? undefined : worker.postMessage({ type: 'credit' })) };
}

export function streamCsv(
  file: string,
  label: string,
  h: CsvStreamHandlers,
  opts: StreamCsvOptions = {}
): Promise<CsvStreamResult> {
  const encoding = opts.encoding ?? 'utf-8';
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
    let records = 0;
    let bytes = 0;
    let sawHeader = false;
    let done = false;
    const badByte = (offset: number): void => {
      if (done) return;
      done = true;
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
    const record = (rec: string[]): void => {
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
        return;
      }
      h.onRecord(rec);
      records++;
      if (h.onProgress && records % PROGRESS_EVERY === 0) h.onProgress(records, bytes, totalBytes);
    };
    const producer = startProducer(
      file,
      encoding,
      {
        batch(batch, read) {
          if (done) return false;
          bytes = read;
          try {
            for (const rec of batch) record(rec);
          } catch (err) {
            fail(err);
            return false;
          }
          producer.credit();
          return true;
        },
        badByte,
        csvError(err) {
          fail(
            new ImportError(
              {
                file: label,
                line: typeof err.lines === 'number' ? err.lines : 0,
                reason: `malformed CSV (${err.code ?? 'parse error'}): ${err.message}`,
              },
              Object.assign(new Error(err.message), { code: err.code })
            )
          );
        },
        readError: (detail) =>
          fail(
            new ImportError({
              file: label,
              line: 0,
              reason: detail ? `read error (${detail})` : 'read error',
            })
          ),
        end(fileHash, read) {
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
          h.onProgress?.(records, read, totalBytes);
          resolve({ fileHash, records, bytes: read });
        },
      },
      totalBytes >= (opts.workerMinBytes ?? WORKER_MIN_BYTES)
    );
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
