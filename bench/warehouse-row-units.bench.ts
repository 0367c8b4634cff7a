/**
 * Row-unit push-down benchmark (docs/warehouse.md "Push-down of row units"): a channel x day-of-week query
 * over events (every event of every customer, with the amount's sum and sum of squares) on
 * WAREHOUSE_BENCH_CUSTOMERS customers (default 1M, ten events each, bench/warehouse.bench.ts's
 * generator), computed three ways in one run: by PostgreSQL (one GROUP BY, one row per cell
 * back), by the node from PostgreSQL's row streams (the path before push-down, the comparator),
 * and by an embedded SQLite node on the same files. All three vectors must be equal. Wall
 * seconds, the node's CPU seconds and the rows that crossed into the node; figures only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentQuerySchema } from '../packages/protocol/src/index.ts';
import { computeSegmentVector, type UnitSource } from '../packages/node/src/analytics/index.ts';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { importCsv } from '../packages/node/src/importing/index.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { loadCsvIntoPostgres } from '../packages/node/src/warehouse/_test-load-csv.ts';
import {
  closeWarehouseConnections,
  openUnitSource,
  WAREHOUSE_FILE,
} from '../packages/node/src/warehouse/index.ts';
import { startBenchPostgres } from './support/bench-postgres.ts';
import { writeData } from './warehouse.bench.ts';

const AS_OF = '2025-01-01';
const QUERY = SegmentQuerySchema.parse({
  version: 1,
  kind: 'segment_stats',
  name: 'channel x day of week',
  purpose: 'analytics',
  unit: 'event',
  maxRowsPerCustomer: 10,
  asOf: AS_OF,
  epsilon: 1,
  dimensions: [
    { field: 'channel', categories: ['web', 'store', 'app', 'phone'] },
    { field: 'hour_of_week', edges: [24, 48, 72, 96, 120, 144] },
  ],
  measures: [{ field: 'amount', lower: 0, upper: 500, scale: 100, squares: true }],
});

/** Counts what reaches the node: streamed rows, or the ids and cells a push-down reports. */
function counted(src: UnitSource, how: 'pushed' | 'streamed') {
  let rows = 0;
  const tally = <T>(it: Iterable<T>): Iterable<T> =>
    (function* () {
      for (const x of it) {
        rows++;
        yield x;
      }
    })();
  const cells = src.cells?.bind(src);
  const out: UnitSource = {
    customers: () => tally(src.customers()),
    events: (hint) => tally(src.events(hint)),
    touches: (hint) => tally(src.touches(hint)),
    tableRows: (t) => tally(src.tableRows(t)),
    ...(how === 'pushed' && cells
      ? {
          cells: (plan, seen) => {
            const t = cells(plan, (id) => {
              rows++;
              seen(id);
            });
            if (t) rows += t.counts.filter((n) => n > 0).length;
            return t;
          },
        }
      : {}),
  };
  return { src: out, rows: () => rows };
}

function timed(src: UnitSource) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const v = computeSegmentVector(QUERY, src);
  const u = process.cpuUsage(cpu);
  return {
    values: v.values,
    rows: v.rows,
    seconds: +((performance.now() - start) / 1000).toFixed(2),
    nodeCpuSeconds: +((u.user + u.system) / 1e6).toFixed(2),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const customers = Number(process.env['WAREHOUSE_BENCH_CUSTOMERS'] ?? 1_000_000);
  const root = mkdtempSync(join(tmpdir(), 'warehouse-rows-bench-'));
  const pg = await startBenchPostgres();
  try {
    writeData(root, customers);
    const file = (n: string) => join(root, `${n}.csv`);
    const mapping = loadCsvIntoPostgres(
      pg,
      'bench',
      { customers: file('customers'), events: file('events'), consents: file('consents') },
      [{ name: 'region', type: 'text' }]
    );
    const pgDir = join(root, 'node-pg');
    await initNode({ dir: pgDir, name: 'pg' });
    writeFileSync(join(pgDir, WAREHOUSE_FILE), JSON.stringify(mapping));
    process.env['FEDMARK_TEST_WAREHOUSE_URL'] = pg.url;
    const pgDb = openNodeDatabase(pgDir);
    const source = () => openUnitSource(pgDb, { purpose: 'analytics', asOf: AS_OF });
    const run = (how: 'pushed' | 'streamed') => {
      const c = counted(source(), how);
      return { ...timed(c.src), rowsToNode: c.rows() };
    };
    // Alternated twice, so neither path alone meets a cold cache.
    const pushedCold = run('pushed');
    const streamed = run('streamed');
    const pushed = run('pushed');
    closeWarehouseConnections();
    pgDb.close();

    const sqDir = join(root, 'node-sqlite');
    await initNode({ dir: sqDir, name: 'sqlite' });
    const sqDb = openNodeDatabase(sqDir);
    await importCsv(sqDb, loadIdentity(sqDir), {
      kind: 'customers',
      file: file('customers'),
      lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
    });
    await importCsv(sqDb, loadIdentity(sqDir), { kind: 'events', file: file('events') });
    const sqlite = timed(openUnitSource(sqDb, { purpose: 'analytics', asOf: AS_OF }));
    sqDb.close();

    const same = (a: bigint[], b: bigint[]) =>
      a.length === b.length && a.every((x, i) => x === b[i]);
    const strip = ({ values: _, ...rest }: { values: bigint[] } & Record<string, unknown>) => rest;
    return {
      data: `generated: ${customers} customers, 10 events each, asOf ${AS_OF}`,
      query: `${QUERY.name}: event unit, up to ${QUERY.maxRowsPerCustomer} rows a customer, 4 channels x 8 hour-of-week bins, amount sum and squares`,
      vectorsEqual:
        same(pushed.values, streamed.values) &&
        same(pushed.values, sqlite.values) &&
        same(pushedCold.values, pushed.values),
      countedRows: pushed.rows,
      postgresql: {
        pushed: strip(pushed),
        pushedFirstRun: strip(pushedCold),
        streamed: strip(streamed),
        pushedOverStreamedSeconds: +(pushed.seconds / streamed.seconds).toFixed(3),
        rowsToNodeRatio: +(pushed.rowsToNode / streamed.rowsToNode).toFixed(4),
      },
      sqlite: strip(sqlite),
      loadAverage1m: +(loadavg()[0] ?? 0).toFixed(2),
    };
  } finally {
    pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
