import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PARSE_OPTIONS, produceRecords } from './_csv-records.ts';
import { PlainCsvLines } from './_plain-csv-lines.ts';

/** What csv-parse gives for these bytes with the import's options: records, then any error. */
function csvParse(
  bytes: Buffer,
  encoding: 'utf8' | 'latin1' = 'utf8'
): Promise<{ records: string[][]; error: string | null }> {
  return new Promise((resolve) => {
    const records: string[][] = [];
    const parser = parse({ ...PARSE_OPTIONS, encoding });
    parser.on('data', (r: string[]) => records.push(r));
    parser.on('error', (e: Error & { code?: string }) =>
      resolve({ records, error: e.code ?? e.message })
    );
    parser.on('end', () => resolve({ records, error: null }));
    parser.end(bytes);
  });
}

/** The fast path over `text` cut at `cuts`: its records and whether it gave up. */
function plain(text: string, cuts: number[]): { records: string[][]; irregular: boolean } {
  const lines = new PlainCsvLines();
  const records: string[][] = [];
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    lines.push(text.slice(at, Math.max(at, c)), records);
    at = Math.max(at, c);
  }
  lines.push(text.slice(at), records);
  lines.end(records);
  return { records, irregular: lines.irregular };
}

// Mostly plain cells, sometimes what only csv-parse handles (quotes, lone CR) or trims
// (spaces, tabs, form feeds, no-break spaces, U+FEFF inside a line).
const cell = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-zé0-9.:-]{0,6}$/) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.constantFrom(
          ' ',
          '\t',
          '\f',
          '\v',
          '\u00a0',
          '\u2028',
          '\u3000',
          '\ufeff',
          'x',
          'é',
          '𝄞'
        ),
        {
          maxLength: 4,
        }
      )
      .map((a) => a.join('')),
  },
  { weight: 1, arbitrary: fc.constantFrom('"q"', 'a"b', '"a,b"', '"x\ny"', 'a\rb', '\r') }
);
const csvText = fc
  .record({
    width: fc.integer({ min: 1, max: 4 }),
    lines: fc.array(
      fc.record({
        cells: fc.array(cell, { minLength: 1, maxLength: 5 }),
        // Usually the header's width, so most files are regular.
        keepWidth: fc.integer({ min: 0, max: 9 }),
        blank: fc.constantFrom('', '', '', '', '   ', '\t'),
      }),
      { maxLength: 12 }
    ),
    crlf: fc.boolean(),
    finalEnd: fc.boolean(),
  })
  .map(({ width, lines, crlf, finalEnd }) => {
    const end = crlf ? '\r\n' : '\n';
    const body = lines.map(({ cells, keepWidth, blank }) => {
      if (blank !== '') return blank;
      const row = keepWidth > 0 ? Array.from({ length: width }, (_, i) => cells[i] ?? '') : cells;
      return row.join(',');
    });
    const header = Array.from({ length: width }, (_, i) => `h${i}`).join(',');
    return [header, ...body].join(end) + (finalEnd ? end : '');
  });

describe('the fast CSV path gives exactly the records csv-parse gives', () => {
  it('returns all of csv-parse records when it takes the file, a prefix when it gives up', async () => {
    let taken = 0;
    let gaveUp = 0;
    await fc.assert(
      fc.asyncProperty(
        csvText,
        fc.array(fc.nat({ max: 400 }), { maxLength: 6 }),
        async (text, cuts) => {
          const want = await csvParse(Buffer.from(text));
          const got = plain(text, cuts);
          if (got.irregular) {
            gaveUp++;
            expect(got.records).toEqual(want.records.slice(0, got.records.length));
          } else {
            taken++;
            expect(want.error).toBeNull();
            expect(got.records).toEqual(want.records);
          }
        }
      ),
      { numRuns: 400 }
    );
    // Both branches were exercised, or the property says little.
    expect(taken).toBeGreaterThan(100);
    expect(gaveUp).toBeGreaterThan(20);
  });

  it('takes plain LF and CRLF files with trimmed cells and blank lines', () => {
    const text = 'a,b\r\n x ,\ty\u00a0\r\n\r\n  \r\n1,2';
    expect(plain(text, [5, 6])).toEqual({
      records: [
        ['a', 'b'],
        ['x', 'y'],
        ['1', '2'],
      ],
      irregular: false,
    });
  });

  it('gives up at a quote, a lone carriage return and a record of another length', () => {
    expect(plain('a,b\n1,2\n"3",4\n', []).irregular).toBe(true);
    expect(plain('a,b\n1,2\r\n', []).irregular).toBe(true);
    expect(plain('a,b\r\n1,2\n3,4\r\n', []).irregular).toBe(true);
    const short = plain('a,b\n1,2\n3\n4,5\n', []);
    expect(short).toEqual({
      records: [
        ['a', 'b'],
        ['1', '2'],
      ],
      irregular: true,
    });
  });
});

describe('produceRecords: the fast path, and csv-parse from where it gives up', () => {
  const root = mkdtempSync(join(tmpdir(), 'plain-csv-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;

  function produce(
    bytes: Buffer,
    encoding: 'utf-8' | 'latin1',
    chunkBytes: number,
    pauseEvery: number
  ): Promise<{ records: string[][]; error: string | null; hash?: string }> {
    const file = join(root, `f${n++}.csv`);
    writeFileSync(file, bytes);
    return new Promise((resolve) => {
      const records: string[][] = [];
      let batches = 0;
      const producer = produceRecords(
        file,
        encoding,
        {
          batch(batch) {
            records.push(...batch);
            // Flow control as the worker does it: pause now and then, resume later.
            if (pauseEvery > 0 && ++batches % pauseEvery === 0) {
              producer.pause();
              setImmediate(() => producer.resume());
            }
            return true;
          },
          badByte: (offset) => resolve({ records, error: `badByte ${offset}` }),
          csvError: (err) => resolve({ records, error: err.code ?? err.message }),
          readError: () => resolve({ records, error: 'read' }),
          end: (hash) => resolve({ records, error: null, hash }),
        },
        3,
        chunkBytes
      );
    });
  }

  it('hands out csv-parse records, errors and the file hash, whatever the chunk size, pauses and BOM', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvText,
        fc.constantFrom('', '\ufeff'),
        fc.integer({ min: 4, max: 64 }),
        fc.integer({ min: 0, max: 3 }),
        async (text, bom, chunkBytes, pauseEvery) => {
          const bytes = Buffer.from(bom + text);
          const want = await csvParse(bytes);
          const got = await produce(bytes, 'utf-8', chunkBytes, pauseEvery);
          expect(got.error).toBe(want.error);
          if (want.error === null) {
            expect(got.records).toEqual(want.records);
            expect(got.hash).toBe(createHash('sha256').update(bytes).digest('hex'));
          } else {
            // The import fails on the error either way; records parsed before it may or may
            // not have been handed out (csv-parse's last partial batch is not).
            expect(got.records).toEqual(want.records.slice(0, got.records.length));
          }
        }
      ),
      { numRuns: 120 }
    );
  });

  it('reads Latin-1 as csv-parse does, a leading UTF-8 BOM included', async () => {
    for (const bytes of [
      Buffer.from([0x61, 0x2c, 0xe9, 0x0a, 0x31, 0x2c, 0xa0, 0x32, 0xa0, 0x0a]),
      Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0x32, 0x0a]),
    ]) {
      const want = await csvParse(bytes, 'latin1');
      expect(await produce(bytes, 'latin1', 4, 0)).toMatchObject(want);
    }
  });
});
