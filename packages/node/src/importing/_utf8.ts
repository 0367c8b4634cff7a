/**
 * Internal: the strict UTF-8 check of an import (docs/node-data.md "CSV import"). A byte that is
 * not UTF-8 would otherwise be replaced by U+FFFD, and two ids that differ only in such a byte
 * (`K\xfc1`, `K\xe41` in Latin-1) would become one customer. The check is streamed: a character
 * may straddle two chunks, so the native decoder runs in stream mode and only a failing chunk is
 * walked byte by byte to find the offset of the first bad byte.
 */
import { createReadStream } from 'node:fs';

export interface Utf8Check {
  /** Checks the next chunk; returns the absolute byte offset of the first bad byte, or null. */
  push(chunk: Uint8Array): number | null;
  /**
   * The text of the last chunk that passed (a character cut by the chunk's end is in the next
   * one's text): the check decodes anyway, so the fast CSV path reads this instead of decoding
   * again (_plain-csv-lines.ts).
   */
  readonly text: string;
  /** At end of input: the offset of a character cut off by the end of the file, or null. */
  end(): number | null;
}

export function createUtf8Check(): Utf8Check {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let offset = 0;
  // Bytes of a character begun at the end of the previous chunk (0-3), kept to locate errors.
  let pending: Uint8Array = new Uint8Array(0);
  let text = '';
  return {
    get text() {
      return text;
    },
    push(chunk) {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        const joined = new Uint8Array(pending.length + chunk.length);
        joined.set(pending, 0);
        joined.set(chunk, pending.length);
        const at = firstInvalidUtf8(joined);
        return offset - pending.length + Math.max(at, 0);
      }
      // The unfinished character (if any) starts within the last 3 bytes seen, chunks as small
      // as one byte included.
      const window = concat(pending, chunk.subarray(Math.max(0, chunk.length - 3)));
      pending = window.slice(window.length - incompleteTail(window));
      offset += chunk.length;
      return null;
    },
    end() {
      try {
        decoder.decode();
      } catch {
        return offset - pending.length;
      }
      return null;
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Length of a lead byte's sequence, or 0 if the byte cannot start a character. */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** Bytes at the end of a valid chunk that begin a character the chunk does not finish. */
function incompleteTail(chunk: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const b = chunk[chunk.length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = sequenceLength(b);
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * Index of the first byte that is not part of well-formed UTF-8 (Unicode 15 Table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or -1. A sequence cut off by the end of
 * `bytes` is not an error here (the next chunk may finish it).
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const n = sequenceLength(b);
    if (n === 0) return i;
    if (n === 1) {
      i++;
      continue;
    }
    // Second-byte ranges that exclude overlongs, surrogates and code points above U+10FFFF.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < n; k++) {
      if (i + k >= bytes.length) return -1;
      const c = bytes[i + k] as number;
      if (k === 1 ? c < lo || c > hi : (c & 0xc0) !== 0x80) return i;
    }
    i += n;
  }
  return -1;
}

export interface ByteLocation {
  /** 1-based physical line. */
  line: number;
  /** 1-based byte position within that line. */
  byteInLine: number;
  /** Header name of the CSV column the byte falls in, or null (header line, or beyond it). */
  column: string | null;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;

/**
 * Re-reads the (valid) bytes before `offset` to place it: physical line, byte within the line,
 * and the CSV column (RFC 4180 quoting followed, so a comma or line end inside quotes is data).
 * Only runs after a failure, like the line lookup of rejected records.
 */
export function locateByte(file: string, offset: number): Promise<ByteLocation> {
  return new Promise((resolve, reject) => {
    let line = 1;
    let lineStart = 0;
    let pos = 0;
    let inQuotes = false;
    let cell = 0;
    let record = 0;
    const header: number[][] = [[]];
    const finish = () => {
      const names = header.map((c, i) => {
        const text = new TextDecoder().decode(new Uint8Array(c));
        return (i === 0 ? text.replace(/^\uFEFF/, '') : text).trim();
      });
      const name = names[cell]?.replace(/^"|"$/g, '').replace(/""/g, '"') ?? null;
      resolve({ line, byteInLine: offset - lineStart + 1, column: record === 0 ? null : name });
    };
    if (offset === 0) {
      finish();
      return;
    }
    const input = createReadStream(file, { start: 0, end: offset - 1 });
    input.on('data', (chunk) => {
      for (const b of chunk as Buffer) {
        if (b === QUOTE) inQuotes = !inQuotes;
        else if (!inQuotes && b === COMMA) {
          cell++;
          if (record === 0) header.push([]);
        } else if (b === LF) {
          line++;
          lineStart = pos + 1;
          if (!inQuotes) {
            record++;
            cell = 0;
          }
        }
        if (record === 0 && b !== COMMA && b !== LF && b !== 0x0d) header[cell]?.push(b);
        pos++;
      }
    });
    input.on('error', reject);
    input.on('end', finish);
  });
}
