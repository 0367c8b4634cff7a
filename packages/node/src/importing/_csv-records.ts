/**
 * Internal: reads a CSV file into batches of records. The text (checked as strict UTF-8,
 * hashed, decoded: _csv-text.ts) comes from this thread for small files and from a worker
 * thread for large ones (_csv-read-worker.ts; _csv-stream.ts decides). The common file (no
 * quotes, LF or CRLF) is split here by _plain-csv-lines.ts; from the first line it cannot take,
 * csv-parse (quoting, BOM, CR) reads the file again from the start on this thread and the
 * records already handed out are skipped, so every file gives exactly csv-parse's records.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { startWorker } from '../_worker-thread.ts';
import { createUtf8Check } from './_utf8.ts';
import { CHUNK_BYTES, produceText, type TextSink } from './_csv-text.ts';
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

export interface ProduceOptions {
  /** Read, check, hash and decode in a worker thread. */
  inWorker: boolean;
  /** Read size, at least 4 (tests lower it to cross chunk boundaries often). */
  chunkBytes?: number;
}

/** The text source as the record side sees it. */
interface TextSource {
  /** The sink is done with one text (flow control for the worker). */
  taken(): void;
  stop(): void;
}

type WorkerMessage =
  | { type: 'text'; text: string; bytes: number }
  | { type: 'badByte'; offset: number }
  | { type: 'readError' }
  | { type: 'end'; fileHash: string; bytes: number };

function startText(
  file: string,
  encoding: ImportEncoding,
  sink: TextSink,
  opts: ProduceOptions
): TextSource {
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  if (!opts.inWorker) {
    const text = produceText(file, encoding, sink, chunkBytes);
    return { taken: () => undefined, stop: text.stop };
  }
  const worker = startWorker('csv-read-worker', { file, encoding, chunkBytes });
  let over = false;
  const stop = (): void => {
    if (over) return;
    over = true;
    void worker.terminate();
  };
  worker.on('message', (m: WorkerMessage) => {
    if (over) return;
    switch (m.type) {
      case 'text':
        return sink.text(m.text, m.bytes);
      case 'badByte':
        stop();
        return sink.badByte(m.offset);
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
    sink.readError(`the CSV reader thread failed: ${err.message}`);
  });
  return { taken: () => (over ? undefined : worker.postMessage({ type: 'credit' })), stop };
}

/** What csv-parse makes of a byte order mark, seen in the first text (docs: _plain-csv-lines.ts). */
function leadingBom(text: string, encoding: ImportEncoding): 'none' | 'drop' | 'parser' {
  if (encoding === 'utf-8') return text.charCodeAt(0) === 0xfeff ? 'drop' : 'none';
  // Latin-1 text of the UTF-8 (EF BB BF) and UTF-16LE (FF FE) marks: csv-parse drops them and
  // switches encoding, which only it does.
  return text.startsWith('\u00ef\u00bb\u00bf') || text.startsWith('\u00ff\u00fe')
    ? 'parser'
    : 'none';
}

/** Starts reading `file`; records arrive in batches of up to `batchSize`. */
export function produceRecords(
  file: string,
  encoding: ImportEncoding,
  sink: RecordSink,
  batchSize: number,
  opts: ProduceOptions
): void {
  const lines = new PlainCsvLines();
  let first = true;
  let over = false;
  /** Hands out `records`; false when the sink stopped the reading. */
  const deliver = (records: string[][], bytes: number): boolean => {
    for (let at = 0; at < records.length && !over; at += batchSize) {
      if (!sink.batch(records.slice(at, at + batchSize), bytes)) over = true;
    }
    if (over) source.stop();
    return !over;
  };
  /** After the records before it: csv-parse from the start, skipping what was handed out. */
  const handOver = (bytes: number): void => {
    over = true;
    source.stop();
    const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
    produceParsedRecords(file, encoding, sink, batchSize, chunkBytes, lines.produced, bytes);
  };
  const ended = (last: () => void): void => {
    if (over) return;
    over = true;
    last();
  };
  const source: TextSource = startText(
    file,
    encoding,
    {
      text(text, bytes) {
        if (over) return;
        let t = text;
        if (first && t !== '') {
          first = false;
          const bom = leadingBom(t, encoding);
          if (bom === 'drop') t = t.slice(1);
          else if (bom === 'parser') lines.stop();
        }
        const records: string[][] = [];
        lines.push(t, records);
        if (!deliver(records, bytes)) return;
        if (lines.irregular) handOver(bytes);
        else source.taken();
      },
      badByte: (offset) => ended(() => sink.badByte(offset)),
      readError: (detail) => ended(() => sink.readError(detail)),
      end(fileHash, bytes) {
        if (over) return;
        const records: string[][] = [];
        lines.end(records);
        if (!deliver(records, bytes)) return;
        if (lines.irregular) handOver(bytes);
        else ended(() => sink.end(fileHash, bytes));
      },
    },
    opts
  );
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
): void {
  const hash = createHash('sha256');
  let bytes = 0;
  let skipped = 0;
  let done = false;
  const input = createReadStream(file, { highWaterMark: chunkBytes });
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
  const drain = (): void => {
    let records: string[][] = [];
    while (!done) {
      const rec = parser.read() as string[] | null;
      if (rec === null) break;
      if (skipped < skip) {
        skipped++;
        continue;
      }
      records.push(rec);
      if (records.length === batchSize) {
        if (!sink.batch(records, Math.max(bytes, bytesBefore))) {
          stop();
          return;
        }
        records = [];
      }
    }
    if (records.length > 0 && !done && !sink.batch(records, Math.max(bytes, bytesBefore))) stop();
  };
  parser.on('readable', drain);
  parser.on('end', () => finish(() => sink.end(hash.digest('hex'), bytes)));
  input.pipe(parser);
}
