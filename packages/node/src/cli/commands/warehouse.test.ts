import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNIT_SOURCE_CONTRACT_DATA } from '../../analytics/unit-source-contract-data.ts';
import { runCli, runCliWithEnv } from '../../_testing/run-cli.ts';
import {
  FIXTURE_URL_ENV,
  fixtureMapping,
  loadContractData,
} from '../../warehouse/_test-fixture.ts';
import {
  postgresAvailability,
  startTestPostgres,
  type TestPostgres,
} from '../../warehouse/_test-postgres.ts';
import { closeWarehouseConnections } from '../../warehouse/index.ts';

const pgBin = postgresAvailability();

describe('fedmark node warehouse', () => {
  let root: string;
  let dir: string;
  let pg: TestPostgres | undefined;
  const file = (name: string, value: unknown): string => {
    const f = join(root, name);
    writeFileSync(f, JSON.stringify(value));
    return f;
  };
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'wh-cli-'));
    dir = join(root, 'node');
    expect((await runCli('node', 'init', '--dir', dir, '--name', 'wh')).code).toBe(0);
    if (pgBin.ok) {
      pg = await startTestPostgres(pgBin.bin);
      loadContractData(pg, 'crm', UNIT_SOURCE_CONTRACT_DATA);
    }
  });
  afterAll(() => {
    closeWarehouseConnections();
    pg?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a bad mapping with exit 14, naming the field; nothing is installed', async () => {
    const m = fixtureMapping('crm');
    const bad = file('bad.json', { ...m, events: { ...m.events, type: 'kind;--' } });
    const r = await runCli('node', 'warehouse', 'set', '--dir', dir, '--mapping', bad);
    expect(r.code).toBe(14);
    expect(r.err).toContain('events.type: expected a column name');
    expect(existsSync(join(dir, 'warehouse.json'))).toBe(false);
    const noEnv = await runCli(
      'node',
      'warehouse',
      'set',
      '--dir',
      dir,
      '--mapping',
      file('m.json', m)
    );
    expect(noEnv.code).toBe(14);
    expect(noEnv.err).toContain(
      `connection.env: environment variable ${FIXTURE_URL_ENV} is not set`
    );
    expect(existsSync(join(dir, 'warehouse.json'))).toBe(false);
  });

  it('shows that a node without a mapping reads its own data', async () => {
    const r = await runCli('node', 'warehouse', 'show', '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'no warehouse: this node reads the data imported into its own database'
    );
  });

  it.skipIf(!pgBin.ok)(
    'installs a checked mapping, runs stats on PostgreSQL, and unsets it',
    async () => {
      const env = { [FIXTURE_URL_ENV]: (pg as TestPostgres).url };
      const m = file('m.json', fixtureMapping('crm'));
      const set = await runCliWithEnv(
        env,
        'node',
        'warehouse',
        'set',
        '--dir',
        dir,
        '--mapping',
        m
      );
      expect(set.err).toBe('');
      expect(set.code).toBe(0);
      expect(set.out).toContain('customers              crm.crm_customers (4 columns)');
      expect(set.out).toContain('warning: this role can write to crm.crm_customers');
      const check = await runCliWithEnv(env, 'node', 'warehouse', 'check', '--dir', dir, '--json');
      expect(JSON.parse(check.out).views).toHaveLength(4);
      // Queries read the connection string from the node process's own environment.
      process.env[FIXTURE_URL_ENV] = (pg as TestPostgres).url;
      const q = file('q.json', {
        version: 1,
        kind: 'segment_stats',
        purpose: 'analytics',
        asOf: '2024-07-01',
        epsilon: 1,
        dimensions: [],
        measures: [{ field: 'frequency', lower: 0, upper: 50 }],
      });
      // Exact figures (test-only switch) show the rows came from PostgreSQL, since the node
      // imported nothing: 3 customers (cell and total) with 3 + 0 + 1 purchases before asOf.
      const policy = JSON.parse(
        (await runCli('node', 'policy', 'show', '--dir', dir, '--json')).out
      );
      const p = file('p.json', { ...policy, minCohort: 2, testOnlyAllowNoiseOff: true });
      expect((await runCli('node', 'policy', 'set', '--dir', dir, '--file', p)).code).toBe(0);
      const stats = await runCli(
        'node',
        'stats',
        '--dir',
        dir,
        '--query',
        q,
        '--json',
        '--no-noise-test-only'
      );
      expect(stats.err).toBe('');
      expect(JSON.parse(stats.out).values).toEqual(['3', '3', '4']);
      const unset = await runCli('node', 'warehouse', 'unset', '--dir', dir);
      expect(unset.out).toContain('removed the warehouse mapping');
      expect(existsSync(join(dir, 'warehouse.json'))).toBe(false);
    }
  );
});
