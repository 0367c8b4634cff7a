/**
 * The throwaway PostgreSQL the warehouse benches run against (warehouse/_test-postgres.ts on
 * 127.0.0.1): a modest server, since the figures are for a database the node shares a 2-core
 * machine with.
 */
import {
  postgresBinDir,
  startTestPostgres,
  type TestPostgres,
} from '../../packages/node/src/warehouse/_test-postgres.ts';

export const BENCH_PG_SETTINGS = 'shared_buffers 1GB, work_mem 256MB, 2 parallel workers, loopback';

export function startBenchPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (apt-get install -y postgresql)');
  return startTestPostgres(bin, {
    settings: {
      shared_buffers: '1GB',
      work_mem: '256MB',
      maintenance_work_mem: '512MB',
      max_parallel_workers_per_gather: '2',
      max_wal_size: '8GB',
      synchronous_commit: 'off',
    },
  });
}
