/**
 * Internal: reads a CSV file into batches of records, checking its bytes as strict UTF-8 and
 * hashing them as they pass. The common file (no quotes, LF or CRLF) is split by
 * _plain-csv-lines.ts; from the first line it cannot take, csv-parse (quoting, BOM, CR) reads
 * the file again from the start and the records already handed out are skipped, so every file
 * gives exactly csv-parse's records. One implementation for both places it runs: on the
 * import's own thread for small files, and in a worker thread for large ones
 * (_csv-parse-worker.ts), so parsing overlaps the SQLite writes (_csv-stream.ts decides).
 */
import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { createUtf8Check } from './_utf8.ts';
import { PlainCsvLines } from './_plain-csv-lines.ts';
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

const CHUNK_BYTES = 1 << 20;

/**
 * Starts reading `file`; records arrive in batches of up to `batchSize`. `chunkBytes` is the
 * read size, at least 4 (tests lower it to cross chunk boundaries often).
 */
export function produceRecords(
  file: string,
  encoding: ImportEncoding,
  sink: RecordSink,
  batchSize: number,
  chunkBytes = CHUNK_BYTES
): RecordProducer {
  let paused = false;
  let parsed: RecordProducer | null = null;
  const plain = producePlainRecords(file, encoding, sink, batchSize, chunkBytes, (skip, bytes) => {
    parsed = produceParsedRecords(file, encoding, sink, batchSize, chunkBytes, skip, bytes);
    if (paused) parsed.pause();
  });
  return {
    pause: () => {
      paused = true;
      (parsed ?? plain).pause();
    },
    resume: () => {
      paused = false;
      (parsed ?? plain).resume();
    },
  };
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const UTF16LE_BOM = [0xff, 0xfe];

function startsWith(chunk: Buffer, bytes: number[]): boolean {
  return bytes.every((b, i) => chunk[i] === b);
}

/** What readChecked reports; the caller stops the stream itself. */
interface CheckedChunks {
  /** A chunk that passed the check; `text` is its UTF-8 decoding (null for Latin-1). */
  chunk(buf: Buffer, text: string | null): void;
  /** The first byte that is not UTF-8, by absolute offset. */
  badByte(offset: number): void;
  /** The whole file passed. */
  ended(): void;
  readError(): void;
}

/**
 * Reads `file` as both producers need it: each chunk checked as strict UTF-8 (Latin-1 maps
 * every byte to the code point of the same value: nothing can be invalid) before anyone sees
 * it, hashed and counted. Handlers registered here come before any pipe() the caller adds.
 */
function readChecked(
  file: string,
  encoding: ImportEncoding,
  chunkBytes: number,
  on: CheckedChunks
): { input: ReadStream; digest: () => string; bytes: () => number } {
  const hash = createHash('sha256');
  const utf8 = encoding === 'utf-8' ? createUtf8Check() : null;
  let bytes = 0;
  const input = createReadStream(file, { highWaterMark: chunkBytes });
  input.on('data', (chunk) => {
    const buf = chunk as Buffer;
    const bad = utf8?.push(buf) ?? null;
    if (bad !== null) return on.badByte(bad);
    hash.update(buf);
    bytes += buf.length;
    on.chunk(buf, utf8 ? utf8.text : null);
  });
  input.on('end', () => {
    const bad = utf8?.end() ?? null;
    if (bad !== null) on.badByte(bad);
    else on.ended();
  });
  input.on('error', () => on.readError());
  return { input, digest: () => hash.digest('hex'), bytes: () => bytes };
}

/**
 * The fast path: each chunk is checked, hashed, decoded once and split into records; they are
 * handed out while the file is paused, so at most one chunk's records wait in memory. At the
 * first line PlainCsvLines cannot take, it stops reading and calls `handOver` with the number
 * of records handed out and the bytes read so far.
 */
function producePlainRecords(
  file: string,
  encoding: ImportEncoding,
  sink: RecordSink,
  batchSize: number,
  chunkBytes: number,
  handOver: (skip: number, bytes: number) => void
): RecordProducer {
  const lines = new PlainCsvLines();
  let queue: string[][] = [];
  let head = 0;
  let first = true;
  let paused = false;
  let ended = false;
  let done = false;
  const stop = (): void => {
    if (done) return;
    done = true;
    reader.input.destroy();
  };
  const finish = (last: () => void): void => {
    if (done) return;
    stop();
    last();
  };
  const deliver = (): void => {
    while (!done && !paused && head < queue.length) {
      const batch = queue.slice(head, head + batchSize);
      head += batch.length;
      if (!sink.batch(batch, reader.bytes())) {
        stop();
        return;
      }
    }
    if (done || paused) return;
    queue = [];
    head = 0;
    if (lines.irregular) {
      stop();
      handOver(lines.produced, reader.bytes());
    } else if (ended) finish(() => sink.end(reader.digest(), reader.bytes()));
    else reader.input.resume();
  };
  const reader = readChecked(file, encoding, chunkBytes, {
    chunk(buf, decoded) {
      if (done) return;
      reader.input.pause();
      let text = decoded ?? buf.toString('latin1');
      if (first) {
        first = false;
        // csv-parse drops a UTF-8 BOM (and, in Latin-1, switches to UTF-8; a UTF-16 BOM to
        // UTF-16): only the plain UTF-8 case is taken here.
        if (decoded !== null && startsWith(buf, UTF8_BOM)) text = text.slice(1);
        else if (startsWith(buf, UTF8_BOM) || startsWith(buf, UTF16LE_BOM)) lines.stop();
      }
      lines.push(text, queue);
      deliver();
    },
    badByte: (offset) => finish(() => sink.badByte(offset)),
    ended() {
      if (done) return;
      lines.end(queue);
      ended = true;
      deliver();
    },
    readError: () => finish(() => sink.readError()),
  });
  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      if (!paused) return;
      paused = false;
      deliver();
    },
  };
}

/**
 * csv-parse over the whole file, for what the fast path cannot take: the first `skip` records
 * were handed out already and are dropped; progress never reports fewer than `bytesBefore`.
 */
function produceParsedRecords(
  file: string,
  encoding: ImportEncoding,
  sink: RecordSink,
  batchSize: number,
  chunkBytes: number,
  skip: number,
  bytesBefore: number
): RecordProducer {
  let skipped = 0;
  let done = false;
  const parser = parse({ ...PARSE_OPTIONS, encoding: encoding === 'latin1' ? 'latin1' : 'utf8' });
  const stop = (): void => {
    if (done) return;
    done = true;
    reader.input.destroy();
    parser.destroy();
  };
  const finish = (last: () => void): void => {
    if (done) return;
    stop();
    last();
  };
  const reader = readChecked(file, encoding, chunkBytes, {
    chunk: () => undefined,
    badByte: (offset) => finish(() => sink.badByte(offset)),
    // The parser's own end below is the end of the records.
    ended: () => undefined,
    readError: () => finish(() => sink.readError()),
  });
  const progress = (): number => Math.max(reader.bytes(), bytesBefore);
  parser.on('error', (err: Error & { lines?: number; code?: string }) =>
    finish(() => sink.csvError({ lines: err.lines, code: err.code, message: err.message }))
  );
  let paused = false;
  const drain = (): void => {
    let records: string[][] = [];
    while (!done && !paused) {
      const rec = parser.read() as string[] | null;
      if (rec === null) break;
      if (skipped < skip) {
        skipped++;
        continue;
      }
      records.push(rec);
      if (records.length === batchSize) {
        if (!sink.batch(records, progress())) {
          stop();
          return;
        }
        records = [];
      }
    }
    if (records.length > 0 && !done && !sink.batch(records, progress())) stop();
  };
  parser.on('readable', drain);
  parser.on('end', () => finish(() => sink.end(reader.digest(), reader.bytes())));
  reader.input.pipe(parser);
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
