import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '@fedmark/protocol';
import { PgBridge, WarehouseError } from './_bridge.ts';
import { fixtureMapping, fixtureSchemaSql } from './_test-fixture.ts';
import { postgresAvailability, startTestPostgres, type TestPostgres } from './_test-postgres.ts';
import { checkWarehouse } from './check.ts';
import { parseWarehouseMapping, resolveConnectionString } from './mapping.ts';

const good = () =>
  fixtureMapping('crm') as Record<string, unknown> & ReturnType<typeof fixtureMapping>;
const refusal = (json: unknown): string => {
  try {
    parseWarehouseMapping(json);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('BAD_REQUEST');
    return (err as Error).message;
  }
  throw new Error('mapping was accepted');
};

describe('warehouse mapping validation', () => {
  it('accepts the documented shape and fills the defaults', () => {
    const m = parseWarehouseMapping(good());
    expect(m.batchRows).toBe(5000);
    expect(m.tables).toEqual([]);
    expect(m.events.time).toEqual({ column: 'occurred_at', type: 'timestamp' });
  });

  it('accepts the full example of docs/warehouse.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../../docs/warehouse.md'), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
    const m = parseWarehouseMapping(JSON.parse(example as string));
    expect(m.tables.map((t) => t.name)).toEqual(['churn']);
    expect(m.touches?.time).toEqual({ column: 'sent_at_ms', type: 'epoch_ms' });
  });

  it('refuses names that are not plain identifiers, naming the field', () => {
    const m = good();
    expect(
      refusal({
        ...m,
        events: { ...m.events, time: { column: 'at"; DROP TABLE x; --', type: 'timestamp' } },
      })
    ).toMatch(/^mapping: events\.time\.column: expected a column name/);
    expect(refusal({ ...m, customers: { ...m.customers, table: 'a.b.c' } })).toMatch(
      /^mapping: customers\.table: expected a table name/
    );
    expect(refusal({ ...m, consents: { ...m.consents, status: 'status ' } })).toMatch(
      /consents\.status/
    );
  });

  it('refuses unknown fields, missing views, bad types and duplicate feature tables', () => {
    const m = good();
    expect(refusal({ ...m, evnets: m.events })).toMatch(/evnets/);
    const { consents: _c, ...noConsents } = m;
    expect(refusal(noConsents)).toMatch(/^mapping: consents: /);
    expect(refusal({ ...m, events: { ...m.events, time: { column: 't', type: 'unix' } } })).toMatch(
      /events\.time\.type/
    );
    const t = {
      name: 'risk',
      table: 'crm.risk',
      customerId: 'id',
      columns: [{ name: 'v', column: 'v', type: 'real' }],
    };
    expect(refusal({ ...m, tables: [t, t] })).toBe('mapping: tables.1.name: named twice');
    expect(refusal({ ...m, connection: { url: 'postgresql://u:secret@h/db' } })).toMatch(
      /^mapping: connection/
    );
    expect(refusal({ ...m, version: 2 })).toMatch(/^mapping: version/);
  });

  it('finds the connection string in the environment or an owner-only file', () => {
    expect(resolveConnectionString({ env: 'WH_URL' }, { WH_URL: ' postgresql://h/db\n' })).toBe(
      'postgresql://h/db'
    );
    expect(() => resolveConnectionString({ env: 'WH_URL' }, {})).toThrow(
      'connection.env: environment variable WH_URL is not set'
    );
    const dir = mkdtempSync(join(tmpdir(), 'wh-conn-'));
    try {
      const file = join(dir, 'url');
      writeFileSync(file, 'postgresql://u:secret@h/db\n', { mode: 0o644 });
      chmodSync(file, 0o644);
      const err = (() => {
        try {
          resolveConnectionString({ file });
        } catch (e) {
          return e as Error;
        }
        throw new Error('accepted a world-readable file');
      })();
      expect(err.message).toMatch(/readable by group or others \(permissions 644\)/);
      expect(err.message).not.toContain('secret');
      chmodSync(file, 0o600);
      expect(resolveConnectionString({ file })).toBe('postgresql://u:secret@h/db');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pgBin = postgresAvailability();

describe.skipIf(!pgBin.ok)('warehouse mapping against a server', () => {
  let pg: TestPostgres;
  let bridge: PgBridge;
  beforeAll(async () => {
    pg = await startTestPostgres((pgBin as { bin: string }).bin);
    pg.psql(`${fixtureSchemaSql('crm')}
CREATE ROLE reader LOGIN; GRANT USAGE ON SCHEMA crm TO reader; GRANT SELECT ON ALL TABLES IN SCHEMA crm TO reader;`);
    bridge = new PgBridge(pg.url, { batchRows: 100, batchTimeoutMs: 30_000 });
  });
  afterAll(() => {
    bridge?.end();
    pg?.stop();
  });

  it('passes a mapping whose tables and columns exist, and reports write access', () => {
    const m = parseWarehouseMapping(good());
    const r = checkWarehouse(bridge, m);
    expect(r.views.map((v) => v.view)).toEqual(['customers', 'events', 'consents', 'touches']);
    // The superuser can write everywhere; a read-only role, as docs/warehouse.md recommends, nowhere.
    expect(r.writable).toEqual([
      'crm.crm_customers',
      'crm.crm_events',
      'crm.crm_consents',
      'crm.crm_touches',
    ]);
    const reader = new PgBridge(pg.url.replace('fedmark@', 'reader@'), {
      batchRows: 100,
      batchTimeoutMs: 30_000,
    });
    try {
      expect(checkWarehouse(reader, m).writable).toEqual([]);
    } finally {
      reader.end();
    }
  });

  it('names the view, the table and the missing column', () => {
    const m = good();
    const bad = parseWarehouseMapping({ ...m, events: { ...m.events, amount: 'amount_eur' } });
    expect(() => checkWarehouse(bridge, bad)).toThrow(
      'events (table crm.crm_events): column "amount_eur" does not exist'
    );
    const noTable = parseWarehouseMapping({
      ...m,
      consents: { ...m.consents, table: 'crm.consent' },
    });
    expect(() => checkWarehouse(bridge, noTable)).toThrow(
      'consents (table crm.consent): relation "crm.consent" does not exist'
    );
  });

  it('answers at once, with the reason, when the connection worker cannot start', () => {
    const broken = new PgBridge(pg.url, {
      batchRows: 100,
      batchTimeoutMs: 60_000,
      pgPath: '/nonexistent/pg/index.js',
    });
    const started = Date.now();
    expect(() => broken.query('SELECT 1')).toThrow(
      /^warehouse: the connection worker failed to start: Cannot find module/
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('reports an unreachable server without the password', () => {
    const dead = new PgBridge(`postgresql://fedmark:hunter2@127.0.0.1:1/postgres`, {
      batchRows: 100,
      batchTimeoutMs: 30_000,
    });
    try {
      let caught: unknown;
      try {
        dead.query('SELECT 1');
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(WarehouseError);
      expect((caught as Error).message).toMatch(/^warehouse: .*ECONNREFUSED/);
      expect((caught as Error).message).not.toContain('hunter2');
    } finally {
      dead.end();
    }
  });
});
