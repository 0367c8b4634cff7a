/**
 * Internal: reads an import file as text: checks its bytes as strict UTF-8 (_utf8.ts), hashes
 * them for the ledger and decodes each chunk once. It runs on the import's own thread for small
 * files and in a worker thread for large ones (_csv-read-worker.ts), where reading, checking,
 * hashing and decoding overlap the SQLite writes. Text crosses threads as one string per chunk:
 * records as arrays of cells did too, and cloning those was a ninth of a 10M-row import's CPU
 * (docs/scale.md "One node on one machine").
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createUtf8Check } from './_utf8.ts';
import type { ImportEncoding } from './formats.ts';

/** Where the text and the outcome go. Exactly one of badByte/readError/end is last. */
export interface TextSink {
  /**
   * The decoded text of the next chunk (a character cut by the chunk's end comes with the
   * next one), and the bytes read so far.
   */
  text(text: string, bytes: number): void;
  /** The first byte that is not UTF-8, by absolute offset. */
  badByte(offset: number): void;
  /** The file could not be read; `detail` says why where it is known. */
  readError(detail?: string): void;
  end(fileHash: string, bytes: number): void;
}

export interface TextProducer {
  /** Stops reading until resume() (a worker's consumer fell behind). */
  pause(): void;
  resume(): void;
  /** Stops for good; nothing more reaches the sink. */
  stop(): void;
}

export const CHUNK_BYTES = 1 << 20;

/** Starts reading `file` in chunks of `chunkBytes`. */
export function produceText(
  file: string,
  encoding: ImportEncoding,
  sink: TextSink,
  chunkBytes = CHUNK_BYTES
): TextProducer {
  const hash = createHash('sha256');
  const utf8 = encoding === 'utf-8' ? createUtf8Check() : null;
  let bytes = 0;
  let done = false;
  const input = createReadStream(file, { highWaterMark: chunkBytes });
  const stop = (): void => {
    if (done) return;
    done = true;
    input.destroy();
  };
  const finish = (last: () => void): void => {
    if (done) return;
    stop();
    last();
  };
  input.on('data', (chunk) => {
    if (done) return;
    const buf = chunk as Buffer;
    let text: string;
    if (utf8) {
      const bad = utf8.push(buf);
      if (bad !== null) {
        finish(() => sink.badByte(bad));
        return;
      }
      text = utf8.text;
    } else text = buf.toString('latin1');
    hash.update(buf);
    bytes += buf.length;
    sink.text(text, bytes);
  });
  input.on('end', () => {
    const bad = utf8?.end() ?? null;
    if (bad !== null) finish(() => sink.badByte(bad));
    else finish(() => sink.end(hash.digest('hex'), bytes));
  });
  input.on('error', () => finish(() => sink.readError()));
  return { pause: () => input.pause(), resume: () => input.resume(), stop };
}
