/**
 * Node store benchmark (docs/node-data.md "Performance", docs/scale.md): import, segmentation and
 * ledger verification, each with its comparator measured in the same run (issue 16): sqlite3's
 * own `.import` into an equivalent keyed table and DuckDB's read_csv for the import, the same
 * segmentation in DuckDB (one thread; its cells must equal the node's), and the hashing floor
 * (read every row, one SHA-256 per entry) for the verify. Targets: import within 2x of sqlite3,
 * segmentation within 1.5x of DuckDB, verify within 3x of the floor. Figures only, no
 * assertions: the machine is shared. `run({ rows: 200_000 })` gives a quick run.
 */
import { hash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { importCsv } from '../packages/node/src/importing/index.ts';
import { appendLedgerEntry, verifyLedger, ledgerSize } from '../packages/node/src/ledger/index.ts';
import { createUnitSource, openNodeDatabase } from '../packages/node/src/store/index.ts';
import { computeSegmentVector } from '../packages/node/src/analytics/index.ts';
import type { SegmentQuery } from '../packages/protocol/src/index.ts';
import { rfmLifecycleNesQuery } from './support/segmentation-query.ts';
import { timedCommand } from './comparators/child-cpu.ts';
import { duckDbSegmentation } from './comparators/duckdb-segmentation.ts';

export interface NodeStoreBenchOptions {
  /** Event rows to import (default 10M). */
  rows?: number;
  /** Ledger entries to verify (default 1M). */
  ledgerEntries?: number;
}

const CHANNELS = ['web', 'store', 'app', 'phone'];
const CATEGORIES = ['shoes', 'bags', 'books', 'garden', 'toys', 'food', 'music', 'sport'];

/**
 * Deterministic events file: ~10 events per customer, grouped by customer (as a per-customer
 * export would be), dates spread over three years. Plain string building, 4 MB writes.
 */
function writeEventsCsv(file: string, rows: number): void {
  const fd = openSync(file, 'w');
  let buf = 'customer_id,time,type,amount,channel,category\n';
  const base = Date.UTC(2022, 0, 1);
  // Lookup tables keep generation cheap: 1000 days x 10 hours of timestamps, 50k amounts.
  const times: string[] = [];
  for (let d = 0; d < 1000; d++) {
    for (let k = 0; k < 10; k++)
      times.push(`${new Date(base + d * 86_400_000 + k * 3_600_000).toISOString().slice(0, 19)}Z`);
  }
  const amounts: string[] = [];
  for (let c = 0; c < 50_000; c++) amounts.push(((c + 99) / 100).toFixed(2));
  for (let i = 0; i < rows; i++) {
    const customer = Math.floor(i / 10);
    const k = i % 10;
    const time = times[((customer * 7 + k * 37) % 1000) * 10 + k] as string;
    const visit = (i * 2654435761) % 7 === 0;
    const amount = visit ? '' : (amounts[(i * 40503) % 50_000] as string);
    buf += `C${customer},${time},${visit ? 'visit' : 'purchase'},${amount},${CHANNELS[i % 4]},${CATEGORIES[(i >> 2) % 8]}\n`;
    if (buf.length > 4_000_000) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
}

/** CPU seconds (user + system) of this process since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/**
 * sqlite3's own `.import` of the same file into a table keyed like the node's events (customer,
 * time, type, channel, category), WITHOUT ROWID: the floor for storing the rows with SQLite.
 */
function sqlite3Import(
  root: string,
  csvFile: string
): { seconds: number; cpuSeconds: number; rows: number } {
  const file = join(root, 'sqlite3-import.db');
  const r = timedCommand('sqlite3', [
    file,
    'PRAGMA journal_mode = WAL;',
    'CREATE TABLE events (customer_id TEXT NOT NULL, time TEXT NOT NULL, type TEXT NOT NULL, amount REAL, channel TEXT NOT NULL, category TEXT NOT NULL, PRIMARY KEY (customer_id, time, type, channel, category)) WITHOUT ROWID;',
    '.mode csv',
    `.import --skip 1 ${csvFile} events`,
    'SELECT count(*) FROM events;',
  ]);
  rmSync(file, { force: true });
  return {
    seconds: +r.seconds.toFixed(2),
    cpuSeconds: +r.cpuSeconds.toFixed(2),
    rows: Number(r.stdout.trim().split('\n').at(-1)),
  };
}

/**
 * DuckDB reads the same CSV and runs each segmentation; its cells must equal the node's (counts
 * and fixed-point monetary sums), or the comparison would be of different work.
 */
async function duckDbAgainst(
  csvFile: string,
  runs: { query: SegmentQuery; vector: ReturnType<typeof computeSegmentVector> }[]
) {
  const d = await duckDbSegmentation(
    csvFile,
    runs.map((r) => r.query)
  );
  const cellsAgree = runs.every(({ vector }, k) => {
    const cells = d.segmentations[k]?.cells ?? new Map();
    const sum = vector.layout.blocks.find((b) => b.kind === 'sum');
    return vector.layout.cells.every((labels, i) => {
      const cell = cells.get(labels.join('|')) ?? { count: 0, monetary: 0 };
      const monetary = sum ? Number(vector.values[sum.offset + i]) : 0;
      return cell.count === vector.cellCounts[i] && cell.monetary === monetary;
    });
  });
  const [current, historical] = d.segmentations;
  return {
    threads: 1,
    rows: d.rows,
    readCsvSeconds: +d.readCsvSeconds.toFixed(2),
    readCsvCpuSeconds: +d.readCsvCpuSeconds.toFixed(2),
    currentSeconds: +(current?.seconds ?? 0).toFixed(2),
    currentCpuSeconds: +(current?.cpuSeconds ?? 0).toFixed(2),
    historicalSeconds: +(historical?.seconds ?? 0).toFixed(2),
    historicalCpuSeconds: +(historical?.cpuSeconds ?? 0).toFixed(2),
    cellsAgree,
  };
}

/** The floor under a verify: read every ledger row and SHA-256 its stored text once. */
function hashingFloor(db: ReturnType<typeof openNodeDatabase>): {
  seconds: number;
  cpuSeconds: number;
  entries: number;
} {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let entries = 0;
  const rows = db
    .prepare(
      'SELECT seq, type, at, subject, body, commitment, prev_hash, hash FROM ledger ORDER BY seq'
    )
    .raw()
    .iterate() as IterableIterator<unknown[]>;
  for (const r of rows) {
    hash('sha256', `${r[0]}${r[1]}${r[2]}${r[3]}${r[4]}${r[5]}${r[6]}${r[7]}`, 'hex');
    entries++;
  }
  return {
    seconds: +((performance.now() - t0) / 1000).toFixed(2),
    cpuSeconds: +cpuSince(c0).toFixed(2),
    entries,
  };
}

export async function run(opts: NodeStoreBenchOptions = {}): Promise<Record<string, unknown>> {
  const rows = opts.rows ?? Number(process.env['NODE_STORE_BENCH_ROWS'] ?? 10_000_000);
  const ledgerEntries =
    opts.ledgerEntries ?? Number(process.env['NODE_STORE_BENCH_LEDGER'] ?? 1_000_000);
  const root = mkdtempSync(join(tmpdir(), 'node-store-bench-'));
  try {
    const dir = join(root, 'node');
    await initNode({ dir, name: 'bench' });
    const identity = loadIdentity(dir);
    const db = openNodeDatabase(dir);
    const csvFile = join(root, 'events.csv');

    let t = performance.now();
    writeEventsCsv(csvFile, rows);
    const generateSeconds = (performance.now() - t) / 1000;
    const csvBytes = statSync(csvFile).size;

    const sqlite3 = sqlite3Import(root, csvFile);

    const rssStart = process.memoryUsage().rss;
    let peakRss = rssStart;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 200);
    t = performance.now();
    let cpu = process.cpuUsage();
    const report = await importCsv(db, identity, {
      kind: 'events',
      file: csvFile,
      // Every customer gets a lawful basis, as a real import would, so the segmentation below
      // sees them (this adds one consent row per customer to the import).
      lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
      onProgress: () => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      },
    });
    const importSeconds = (performance.now() - t) / 1000;
    const importCpuSeconds = cpuSince(cpu);
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const dbBytes = statSync(join(dir, 'node.db')).size;

    // RFM (scores) + lifecycle + NES segmentation over the imported customers and events, end
    // to end through SQLite and the analytics, at a current asOf (every customer's rows before
    // it: the kept aggregates answer) and a historical one (most customers have later rows, so
    // their events are aggregated), each against DuckDB on the same definitions.
    const segmentAt = rfmLifecycleNesQuery;
    const segment = (query: SegmentQuery) => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const vector = computeSegmentVector(
        query,
        createUnitSource(db, { purpose: 'analytics', asOf: query.asOf })
      );
      return {
        query,
        vector,
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: cpuSince(c0),
      };
    };
    const current = segment(segmentAt('2025-01-01'));
    const historical = segment(segmentAt('2024-01-01'));
    const vector = current.vector;
    const duck = await duckDbAgainst(csvFile, [current, historical]);
    rmSync(csvFile);

    // Ledger append, batched in one transaction (as an import writing consent entries does).
    const batchN = Math.min(200_000, ledgerEntries);
    t = performance.now();
    cpu = process.cpuUsage();
    db.transaction(() => {
      for (let i = 0; i < batchN; i++)
        appendLedgerEntry(db, {
          type: 'release',
          body: { jobId: `job-${i}`, epsilon: 0.5, layoutHash: 'ab'.repeat(32) },
        });
    })();
    const batchSeconds = (performance.now() - t) / 1000;
    const batchCpuSeconds = cpuSince(cpu);

    // One transaction (one WAL commit) per entry, as an interactive consent change does.
    const singleN = 5_000;
    t = performance.now();
    for (let i = 0; i < singleN; i++)
      appendLedgerEntry(db, {
        type: 'consent_granted',
        subject: 'cd'.repeat(32),
        body: { purpose: 'analytics', source: 'bench' },
      });
    const singleSeconds = (performance.now() - t) / 1000;

    // Fill up to `ledgerEntries` and verify the whole chain.
    const chunk = 100_000;
    while (ledgerSize(db) < ledgerEntries) {
      const n = Math.min(chunk, ledgerEntries - ledgerSize(db));
      db.transaction(() => {
        for (let i = 0; i < n; i++)
          appendLedgerEntry(db, { type: 'release', body: { jobId: `fill-${i}`, epsilon: 0.25 } });
      })();
    }
    t = performance.now();
    cpu = process.cpuUsage();
    const verified = verifyLedger(db);
    const verifySeconds = (performance.now() - t) / 1000;
    const verifyCpuSeconds = cpuSince(cpu);
    const floor = hashingFloor(db);
    db.close();

    return {
      importRows: report.rowsRead,
      importRowsInserted: report.rowsInserted,
      csvMiB: +(csvBytes / 2 ** 20).toFixed(1),
      generateSeconds: +generateSeconds.toFixed(2),
      importSeconds: +importSeconds.toFixed(2),
      rowsPerSecond: Math.round(report.rowsRead / importSeconds),
      // CPU time of this process: on a shared, overcommitted machine wall time mostly measures
      // the queue for a core; CPU seconds are closer to what an idle machine would take.
      importCpuSeconds: +importCpuSeconds.toFixed(2),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      rssBeforeImportMiB: Math.round(rssStart / 2 ** 20),
      dbMiB: +(dbBytes / 2 ** 20).toFixed(1),
      ledgerAppendBatchedPerSecond: Math.round(batchN / batchSeconds),
      ledgerAppendBatchedPerCpuSecond: Math.round(batchN / batchCpuSeconds),
      ledgerAppendOneTxEachPerSecond: Math.round(singleN / singleSeconds),
      ledgerVerifyEntries: verified.size,
      segmentationCustomers: vector.rows,
      segmentationSeconds: +current.seconds.toFixed(2),
      segmentationCpuSeconds: +current.cpuSeconds.toFixed(2),
      segmentationHistoricalSeconds: +historical.seconds.toFixed(2),
      segmentationHistoricalCpuSeconds: +historical.cpuSeconds.toFixed(2),
      ledgerVerifySeconds: +verifySeconds.toFixed(2),
      ledgerVerifyCpuSeconds: +verifyCpuSeconds.toFixed(2),
      ledgerVerifyOk: verified.ok,
      comparators: {
        sqlite3Import: sqlite3,
        duckdb: duck,
        hashingFloor: floor,
      },
      ratios: {
        importCpuOverSqlite3: +(importCpuSeconds / sqlite3.cpuSeconds).toFixed(2),
        importWallOverSqlite3: +(importSeconds / sqlite3.seconds).toFixed(2),
        importCpuOverDuckDbReadCsv: +(importCpuSeconds / duck.readCsvCpuSeconds).toFixed(2),
        segmentationCpuOverDuckDb: +(current.cpuSeconds / duck.currentCpuSeconds).toFixed(2),
        segmentationHistoricalCpuOverDuckDb: +(
          historical.cpuSeconds / duck.historicalCpuSeconds
        ).toFixed(2),
        ledgerVerifyCpuOverFloor: +(verifyCpuSeconds / floor.cpuSeconds).toFixed(2),
      },
      targets: {
        importOverSqlite3: 2,
        segmentationOverDuckDb: 1.5,
        ledgerVerifyOverFloor: 3,
        peakRssMiB: 1024,
        ledgerAppendPerSecond: 10_000,
      },
      loadAverage1m: (await import('node:os')).loadavg()[0],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
