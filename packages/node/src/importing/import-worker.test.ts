import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useTempNode } from '../_testing/temp-node.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { ledgerSize } from '../ledger/index.ts';
import { ImportError, importCsv, type ImportCsvOptions } from './index.ts';

let dir: string;
let db: Database.Database;
let id: NodeIdentity;
useTempNode('import-worker-', 'n1', (t) => ({ root: dir, db, identity: id } = t));

const file = (name: string, ...parts: (string | number[])[]): string => {
  const f = join(dir, name);
  writeFileSync(
    f,
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))
  );
  return f;
};

/** Events for `n` customers, 3 rows each: several worker batches (1,000 records each). */
const eventsText = (n: number): string =>
  [
    'customer_id,time,type,amount,channel,category',
    ...Array.from({ length: n * 3 }, (_, i) => {
      const c = Math.floor(i / 3);
      return `C${c},2024-0${1 + (i % 3)}-1${c % 10}T10:00:00Z,purchase,${(i % 97) + 0.5},web,a`;
    }),
    '',
  ].join('\n');

/** Imports `f` once parsed on this thread and once in a worker, into fresh databases' state. */
async function bothWays(opts: Omit<ImportCsvOptions, 'workerMinBytes'>) {
  const outcome = async (workerMinBytes: number) => {
    const before = ledgerSize(db);
    const r = await importCsv(db, id, { ...opts, workerMinBytes }).then(
      (report) => ({ report, error: null }),
      (error: unknown) => ({ report: null, error })
    );
    const rows = db.prepare('SELECT count(*) FROM events').pluck().get();
    db.exec(
      'DELETE FROM customer_activity; DELETE FROM events; DELETE FROM consents; DELETE FROM customers;'
    );
    return { ...r, rows, ledgerGrew: ledgerSize(db) > before };
  };
  return { inLine: await outcome(Number.MAX_SAFE_INTEGER), worker: await outcome(1) };
}

describe('importCsv: parsing in a worker thread', () => {
  it('stores the same rows and reports the same hash and counts as parsing in line', async () => {
    const f = file('events.csv', eventsText(2500));
    const { inLine, worker } = await bothWays({ kind: 'events', file: f });
    expect(worker.error).toBeNull();
    expect(worker.report).toEqual(inLine.report);
    expect(worker.rows).toBe(7500);
    expect(inLine.rows).toBe(7500);
  });

  it('names the same line and column for a bad cell deep in the file, and writes nothing', async () => {
    const text = eventsText(2500).replace('C2000,2024-03-10T10:00:00Z', 'C2000,2024-13-10');
    const { inLine, worker } = await bothWays({ kind: 'events', file: file('bad.csv', text) });
    expect(worker.error).toBeInstanceOf(ImportError);
    expect((worker.error as ImportError).message).toBe((inLine.error as ImportError).message);
    // Row 6,002 of the data (0-based) is on line 6,004: the header is line 1.
    expect((worker.error as ImportError).line).toBe(6004);
    expect([worker.rows, worker.ledgerGrew]).toEqual([0, false]);
  });

  it('reports an invalid UTF-8 byte and a malformed record as parsing in line does', async () => {
    const bytes = await bothWays({
      kind: 'events',
      file: file('latin.csv', eventsText(400), 'K', [0xfc], ',2024-01-01,visit,,web,a\n'),
    });
    expect((bytes.worker.error as ImportError).message).toBe(
      (bytes.inLine.error as ImportError).message
    );
    expect((bytes.worker.error as ImportError).byteOffset).not.toBeNull();
    const quote = await bothWays({
      kind: 'events',
      file: file('quote.csv', eventsText(400), 'C9,"2024-01-01,visit,,web,a\n'),
    });
    expect((quote.worker.error as ImportError).message).toMatch(/malformed CSV/);
    expect((quote.worker.error as ImportError).message).toBe(
      (quote.inLine.error as ImportError).message
    );
    expect([bytes.worker.rows, quote.worker.rows]).toEqual([0, 0]);
  });

  it('stores the same rows when a file turns quoted half-way (csv-parse from there on)', async () => {
    // 1,500 plain records, then quoted cells: the fast path hands over to csv-parse.
    const quoted = eventsText(500).split('\n').slice(1).join('\n').replaceAll(',web,', ',"web",');
    const text = `${eventsText(500)}${quoted.replaceAll('C', 'Q')}`;
    const { inLine, worker } = await bothWays({ kind: 'events', file: file('turns.csv', text) });
    expect(worker.error).toBeNull();
    expect(worker.report).toEqual(inLine.report);
    expect([worker.rows, inLine.rows]).toEqual([3000, 3000]);
  });

  it('refuses an empty file and a bad header in a worker too', async () => {
    const empty = await bothWays({ kind: 'events', file: file('empty.csv', '') });
    expect((empty.worker.error as ImportError).message).toBe(
      (empty.inLine.error as ImportError).message
    );
    const header = await bothWays({
      kind: 'events',
      file: file('header.csv', 'customer,when\nC1,2024-01-01\n'),
    });
    expect((header.worker.error as ImportError).line).toBe(1);
    expect((header.worker.error as ImportError).message).toBe(
      (header.inLine.error as ImportError).message
    );
  });
});
