/**
 * Warehouse benchmark (docs/warehouse.md "Performance"): the same RFM + lifecycle + NES
 * segmentation as bench/node-store.bench.ts, run once through the PostgreSQL backend and once
 * through the SQLite backend on the same generated data (WAREHOUSE_BENCH_CUSTOMERS customers,
 * default 1M, ten events each), with the node process's peak RSS during each. PostgreSQL is a
 * throwaway Debian cluster on 127.0.0.1 (warehouse/_test-postgres.ts) loaded with COPY; both
 * vectors must be equal. Figures only: the machine is shared.
 */
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { computeSegmentVector } from '../packages/node/src/analytics/index.ts';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { importCsv } from '../packages/node/src/importing/index.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { loadCsvIntoPostgres } from '../packages/node/src/warehouse/_test-load-csv.ts';
import {
  closeWarehouseConnections,
  openUnitSource,
  WAREHOUSE_FILE,
} from '../packages/node/src/warehouse/index.ts';
import { BENCH_PG_SETTINGS, startBenchPostgres } from './support/bench-postgres.ts';
import { rfmLifecycleNesQuery } from './support/segmentation-query.ts';

const EVENTS_PER_CUSTOMER = 10;
const CHANNELS = ['web', 'store', 'app', 'phone'];
const CATEGORIES = ['shoes', 'bags', 'books', 'garden', 'toys', 'food', 'music', 'sport'];
const REGIONS = ['north', 'south', 'east', 'west'];
const AS_OF = '2025-01-01';

/** Buffered line writer: 4 MB writes. */
function writer(file: string, header: string) {
  const fd = openSync(file, 'w');
  let buf = `${header}\n`;
  return {
    line(s: string) {
      buf += `${s}\n`;
      if (buf.length > 4_000_000) {
        writeSync(fd, buf);
        buf = '';
      }
    },
    end() {
      writeSync(fd, buf);
      closeSync(fd);
    },
  };
}

/**
 * customers.csv (signup over 2019-2024, a region), consents.csv (analytics granted in 2018 for
 * everyone) and events.csv: ten events per customer over three years, one in seven a visit,
 * the generator of bench/node-store.bench.ts.
 */
export function writeData(dir: string, customers: number): void {
  const base = Date.UTC(2022, 0, 1);
  const times: string[] = [];
  for (let d = 0; d < 1000; d++)
    for (let k = 0; k < 10; k++)
      times.push(`${new Date(base + d * 86_400_000 + k * 3_600_000).toISOString().slice(0, 19)}Z`);
  const amounts: string[] = [];
  for (let c = 0; c < 50_000; c++) amounts.push(((c + 99) / 100).toFixed(2));
  const c = writer(join(dir, 'customers.csv'), 'customer_id,signup_date,region');
  const k = writer(join(dir, 'consents.csv'), 'customer_id,purpose,status,time,source');
  const e = writer(join(dir, 'events.csv'), 'customer_id,time,type,amount,channel,category');
  const signupBase = Date.UTC(2019, 0, 1);
  for (let i = 0; i < customers; i++) {
    const signup = new Date(signupBase + ((i * 7919) % 2190) * 86_400_000).toISOString();
    c.line(`C${i},${signup.slice(0, 10)},${REGIONS[i % 4]}`);
    k.line(`C${i},analytics,granted,2018-06-01T00:00:00Z,bench`);
    for (let j = 0; j < EVENTS_PER_CUSTOMER; j++) {
      const n = i * EVENTS_PER_CUSTOMER + j;
      const time = times[((i * 7 + j * 37) % 1000) * 10 + j] as string;
      const visit = (n * 2654435761) % 7 === 0;
      const amount = visit ? '' : (amounts[(n * 40503) % 50_000] as string);
      e.line(
        `C${i},${time},${visit ? 'visit' : 'purchase'},${amount},${CHANNELS[n % 4]},${CATEGORIES[(n >> 2) % 8]}`
      );
    }
  }
  c.end();
  k.end();
  e.end();
}

/**
 * Peak RSS of this process while the main thread is busy (a synchronous scan blocks timers):
 * a worker samples process-wide RSS every 50 ms into shared memory.
 */
function rssSampler() {
  const peak = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(
    `const { workerData } = require('node:worker_threads');
     const a = new Int32Array(workerData);
     setInterval(() => {
       const mib = Math.round(process.memoryUsage.rss() / 1048576);
       if (mib > Atomics.load(a, 0)) Atomics.store(a, 0, mib);
     }, 50);`,
    { eval: true, workerData: peak.buffer }
  );
  w.unref();
  return {
    reset: () => Atomics.store(peak, 0, Math.round(process.memoryUsage.rss() / 2 ** 20)),
    peakMiB: () => Atomics.load(peak, 0),
    stop: () => void w.terminate(),
  };
}

const QUERY = rfmLifecycleNesQuery(AS_OF);

const secs = (t: number): number => +((performance.now() - t) / 1000).toFixed(2);
const cpuSecs = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return +((u.user + u.system) / 1e6).toFixed(2);
};

/** One scale: generate, load PostgreSQL, segment through it; with `sqlite`, also import and segment there. */
async function measure(
  customers: number,
  sampler: ReturnType<typeof rssSampler>,
  opts: { sqlite: boolean }
): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), 'warehouse-bench-'));
  const pg = await startBenchPostgres();
  try {
    let t = performance.now();
    writeData(root, customers);
    const generateSeconds = secs(t);
    const csvMiB = +(
      ['customers', 'consents', 'events']
        .map((f) => statSync(join(root, `${f}.csv`)).size)
        .reduce((a, b) => a + b, 0) /
      2 ** 20
    ).toFixed(1);
    const file = (n: string) => join(root, `${n}.csv`);

    // PostgreSQL: COPY, then the indexes a warehouse would have, then ANALYZE.
    t = performance.now();
    const mapping = loadCsvIntoPostgres(
      pg,
      'bench',
      { customers: file('customers'), events: file('events'), consents: file('consents') },
      [{ name: 'region', type: 'text' }]
    );
    const pgLoadSeconds = secs(t);
    const pgDatabaseMiB = Math.round(
      Number(pg.psql("SELECT pg_database_size('postgres')").trim()) / 2 ** 20
    );
    const pgDir = join(root, 'node-pg');
    await initNode({ dir: pgDir, name: 'pg' });
    writeFileSync(join(pgDir, WAREHOUSE_FILE), JSON.stringify(mapping));
    process.env['FEDMARK_TEST_WAREHOUSE_URL'] = pg.url;
    const pgDb = openNodeDatabase(pgDir);

    const segment = (db: typeof pgDb) => {
      sampler.reset();
      const rssBefore = Math.round(process.memoryUsage.rss() / 2 ** 20);
      const start = performance.now();
      const cpu = process.cpuUsage();
      const src = openUnitSource(db, { purpose: 'analytics', asOf: AS_OF });
      // Time to the first summary: PostgreSQL's whole aggregation runs before it (hash GROUP BY).
      let firstRowSeconds = 0;
      const customersTimed = src.customers.bind(src);
      src.customers = function* () {
        let first = true;
        for (const c of customersTimed()) {
          if (first) {
            firstRowSeconds = secs(start);
            first = false;
          }
          yield c;
        }
      };
      const v = computeSegmentVector(QUERY, src);
      return {
        vector: v,
        figures: {
          seconds: secs(start),
          firstSummarySeconds: firstRowSeconds,
          nodeCpuSeconds: cpuSecs(cpu),
          nodeRssBeforeMiB: rssBefore,
          nodePeakRssMiB: Math.max(
            sampler.peakMiB(),
            Math.round(process.memoryUsage.rss() / 2 ** 20)
          ),
        },
      };
    };
    const viaPg = segment(pgDb);
    // A second run: the server's caches are warm, as for a node answering many queries.
    const viaPgWarm = opts.sqlite ? segment(pgDb) : null;
    closeWarehouseConnections();
    pgDb.close();
    const postgresql = {
      loadSeconds: pgLoadSeconds,
      databaseMiB: pgDatabaseMiB,
      settings: BENCH_PG_SETTINGS,
      cold: viaPg.figures,
      ...(viaPgWarm ? { warm: viaPgWarm.figures } : {}),
    };
    const data = `generated: ${customers} customers, ${EVENTS_PER_CUSTOMER} events each (1 in 7 a visit), analytics consent for all, asOf ${AS_OF}`;
    if (!opts.sqlite)
      return {
        data,
        customers,
        events: customers * EVENTS_PER_CUSTOMER,
        segmentedCustomers: viaPg.vector.rows,
        csvMiB,
        generateSeconds,
        postgresql,
      };

    // SQLite: the same files imported the ordinary way.
    const sqDir = join(root, 'node-sqlite');
    await initNode({ dir: sqDir, name: 'sqlite' });
    const sqDb = openNodeDatabase(sqDir);
    const identity = loadIdentity(sqDir);
    t = performance.now();
    await importCsv(sqDb, identity, {
      kind: 'customers',
      file: file('customers'),
      lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
    });
    await importCsv(sqDb, identity, { kind: 'events', file: file('events') });
    const sqliteImportSeconds = secs(t);
    const viaSqlite = segment(sqDb);
    sqDb.close();

    const same =
      viaPg.vector.values.length === viaSqlite.vector.values.length &&
      viaPg.vector.values.every((x, i) => x === viaSqlite.vector.values[i]);
    return {
      data,
      customers,
      events: customers * EVENTS_PER_CUSTOMER,
      segmentedCustomers: viaSqlite.vector.rows,
      vectorsEqual: same,
      csvMiB,
      generateSeconds,
      postgresql,
      sqlite: { importSeconds: sqliteImportSeconds, ...viaSqlite.figures },
      loadAverage1m: +((await import('node:os')).loadavg()[0] ?? 0).toFixed(2),
    };
  } finally {
    pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * WAREHOUSE_BENCH_CUSTOMERS (default 1M) through both backends; with
 * WAREHOUSE_BENCH_LARGE_CUSTOMERS (e.g. 10M, the 100M events) also PostgreSQL alone at
 * that scale (the SQLite import of 100M events would take the better part of an hour here).
 */
export async function run(): Promise<Record<string, unknown>> {
  const customers = Number(process.env['WAREHOUSE_BENCH_CUSTOMERS'] ?? 1_000_000);
  const large = Number(process.env['WAREHOUSE_BENCH_LARGE_CUSTOMERS'] ?? 0);
  const sampler = rssSampler();
  try {
    const both = await measure(customers, sampler, { sqlite: true });
    if (!(large > 0)) return both;
    process.stderr.write(`warehouse: ${JSON.stringify(both)}\n`);
    return { ...both, large: await measure(large, sampler, { sqlite: false }) };
  } finally {
    sampler.stop();
  }
}
