import { afterAll, beforeAll, describe } from 'vitest';
import { runUnitSourceContract } from '../analytics/unit-source-contract.ts';
import { PgBridge } from './_bridge.ts';
import { loadContractData, fixtureMapping } from './_test-fixture.ts';
import { postgresAvailability, startTestPostgres, type TestPostgres } from './_test-postgres.ts';
import { parseWarehouseMapping } from './mapping.ts';
import { createWarehouseUnitSource } from './source.ts';

const pgBin = postgresAvailability();

describe.skipIf(!pgBin.ok)('warehouse backend on PostgreSQL', () => {
  let pg: TestPostgres;
  let bridge: PgBridge;
  let loaded = 0;
  beforeAll(async () => {
    pg = await startTestPostgres((pgBin as { bin: string }).bin);
    bridge = new PgBridge(pg.url, { batchRows: 2, batchTimeoutMs: 60_000 });
  });
  afterAll(() => {
    bridge?.end();
    pg?.stop();
  });

  // batchRows 2: every stream crosses several FETCH batches even on the contract's few rows.
  runUnitSourceContract('postgresql', (data) => {
    const schema = `contract_${++loaded}`;
    loadContractData(pg, schema, data);
    const mapping = parseWarehouseMapping(
      fixtureMapping(schema, [
        {
          name: 'risk',
          table: `${schema}.risk_scores`,
          customerId: 'cust_ref',
          columns: [{ name: 'vol', column: 'vol', type: 'real' }],
        },
      ])
    );
    return createWarehouseUnitSource(bridge, mapping, {
      purpose: 'analytics',
      asOf: data.asOf,
      consentAt: new Date('2024-07-01T00:00:00Z'),
    });
  });
});
