/**
 * The same synthetic data (synth/) imported into one node's SQLite and loaded into PostgreSQL for
 * a second node with a warehouse mapping: both nodes must read exactly the same rows and compute
 * exactly the same segment vectors, and the warehouse node must honour consent revocations (in
 * the warehouse and on the node) and erasures.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClvFitSpecSchema,
  ClvModelSchema,
  PolicySchema,
  SegmentQuerySchema,
  clvRoundQuery,
  type SegmentQueryInput,
} from '@fedmark/protocol';
import { buildAudience, parseAudienceRule } from '../audience/index.ts';
import {
  createFactLoader,
  decideBatch,
  decideCustomers,
  loadDecisionPolicy,
  type FactLoader,
} from '../decide/index.ts';
import { createWarehouseFactLoader } from './decision-facts.ts';
import { releaseClvRound } from '../federation/clv-round.ts';
import { writeClvScoresCsv } from '../clv/score-table.ts';
import { runCli } from '../_testing/run-cli.ts';
import { computeSegmentVector } from '../analytics/index.ts';
import type { UnitSource } from '../analytics/types.ts';
import { revokeConsent } from '../consent/index.ts';
import { listLedger } from '../ledger/index.ts';
import { releaseSegmentStats } from '../release/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { initNode, loadIdentity, type NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';
import { featureTableColumns, openNodeDatabase, createUnitSource } from '../store/index.ts';
import { generateSynthetic } from '../synth/index.ts';
import { loadCsvIntoPostgres } from './_test-load-csv.ts';
import { postgresAvailability, startTestPostgres, type TestPostgres } from './_test-postgres.ts';
import {
  closeWarehouseConnections,
  openClvSummaries,
  openFeatureCatalog,
  warehouseAccess,
  openUnitSource,
  WAREHOUSE_FILE,
} from './index.ts';

const pgBin = postgresAvailability();
const decisionIds = (csv: string) =>
  readFileSync(csv, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0] as string);
const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'examples');
const AS_OF = '2025-12-01';
const AT = new Date('2025-12-01T00:00:00Z');

describe.skipIf(!pgBin.ok)('a warehouse node and a SQLite node on the same data', () => {
  let pg: TestPostgres;
  let root: string;
  let dbA: Database.Database;
  let dbB: Database.Database;
  let idA: NodeIdentity;
  let idB: NodeIdentity;
  const sqlite = (purpose: 'analytics' | 'model_training' = 'analytics'): UnitSource =>
    createUnitSource(dbA, { purpose, asOf: AS_OF, consentAt: AT });
  const warehouse = (purpose: 'analytics' | 'model_training' = 'analytics'): UnitSource =>
    openUnitSource(dbB, { purpose, asOf: AS_OF, consentAt: AT });

  beforeAll(async () => {
    pg = await startTestPostgres((pgBin as { bin: string }).bin);
    process.env['FEDMARK_TEST_WAREHOUSE_URL'] = pg.url;
    root = mkdtempSync(join(tmpdir(), 'wh-eq-'));
    const data = join(root, 'data');
    await generateSynthetic({ dir: data, profile: 'retail', seed: 'warehouse', customers: 300 });
    const f = (n: string) => join(data, `${n}.csv`);
    await initNode({ dir: join(root, 'a'), name: 'a' });
    await initNode({ dir: join(root, 'b'), name: 'b' });
    dbA = openNodeDatabase(join(root, 'a'));
    idA = loadIdentity(join(root, 'a'));
    for (const kind of ['customers', 'events', 'touches', 'consents'] as const)
      await importCsv(dbA, idA, { kind, file: f(kind) });
    await importCsv(dbA, idA, { kind: 'table', table: 'churn', file: f('churn') });
    const attributes = dbA
      .prepare('SELECT name, type FROM customer_attribute_columns ORDER BY name')
      .all() as { name: string; type: 'integer' | 'real' | 'text' }[];
    const mapping = loadCsvIntoPostgres(
      pg,
      'retail',
      {
        customers: f('customers'),
        events: f('events'),
        touches: f('touches'),
        consents: f('consents'),
        tables: { churn: { file: f('churn'), columns: featureTableColumns(dbA, 'churn') } },
      },
      attributes
    );
    writeFileSync(join(root, 'b', WAREHOUSE_FILE), JSON.stringify(mapping, null, 2));
    dbB = openNodeDatabase(join(root, 'b'));
    idB = loadIdentity(join(root, 'b'));
  });
  afterAll(() => {
    closeWarehouseConnections();
    dbA?.close();
    dbB?.close();
    pg?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('reads the same customer summaries, events, touches and feature rows', () => {
    const a = [...sqlite().customers()];
    expect(a.length).toBeGreaterThan(100);
    const b = [...warehouse().customers()];
    // Sums of amounts are added in another order (PostgreSQL per day, then per customer; SQLite
    // row by row), so monetary may differ in the last bits of the double; everything else exactly.
    const exact = (cs: typeof a) => cs.map(({ monetary, ...rest }) => rest);
    expect(exact(b)).toEqual(exact(a));
    for (const [i, c] of b.entries())
      expect(c.monetary).toBeCloseTo((a[i] as (typeof a)[0]).monetary, 9);
    expect([...warehouse().events()]).toEqual([...sqlite().events()]);
    expect([...warehouse().touches()]).toEqual([...sqlite().touches()]);
    expect([...warehouse('model_training').tableRows('churn')]).toEqual([
      ...sqlite('model_training').tableRows('churn'),
    ]);
  });

  it('applies row hints in PostgreSQL: the earliest rows per customer, a fatigue window', () => {
    const firstOf = <T extends { customerId: string }>(rows: T[], n: number): T[] => {
      const seen = new Map<string, number>();
      return rows.filter((r) => {
        const k = (seen.get(r.customerId) ?? 0) + 1;
        seen.set(r.customerId, k);
        return k <= n;
      });
    };
    const events = [...warehouse().events()];
    const two = [...warehouse().events({ perCustomer: 2 })];
    expect(two.length).toBeLessThan(events.length / 2);
    expect(two).toEqual(firstOf(events, 2));
    const from = Date.parse('2025-11-24T00:00:00Z');
    const touches = [...warehouse().touches()];
    const recent = [...warehouse().touches({ fromMs: from })];
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(touches.length / 10);
    expect(recent).toEqual(touches.filter((t) => t.time >= from));
    expect([...warehouse().touches({ fromMs: from, perCustomer: 1 })]).toEqual(firstOf(recent, 1));
    // A hint is only a hint: the SQLite source may return everything, and does.
    expect([...sqlite().events({ perCustomer: 2 })]).toEqual([...sqlite().events()]);
  });

  it('gives the same CLV summaries for a clv round (purchase days folded in PostgreSQL)', () => {
    const o = {
      endDay: 20_400,
      daysPerUnit: 7,
      consent: { purpose: 'model_training' as const, at: AT },
    };
    // The SQLite node's own summaries, as scoreSummaries gives them (ordered by rowid = id order).
    const a = openClvSummaries(dbA, o);
    expect(a.length).toBeGreaterThan(100);
    expect(a.some((c) => c.frequency > 0 && c.monetary > 0)).toBe(true);
    const b = openClvSummaries(dbB, o);
    const exact = (cs: typeof a) =>
      cs
        .map(({ customerId, frequency, recency, T }) => ({ customerId, frequency, recency, T }))
        .sort((x, y) => (x.customerId < y.customerId ? -1 : 1));
    expect(exact(b)).toEqual(exact(a));
    const spend = new Map(a.map((c) => [c.customerId, c.monetary]));
    for (const c of b) expect(c.monetary).toBeCloseTo(spend.get(c.customerId) as number, 9);
    // An earlier cut-off counts fewer purchases: the cut is applied in PostgreSQL.
    const earlier = openClvSummaries(dbB, { ...o, endDay: 20_200 });
    expect(earlier.length).toBeLessThan(b.length);
    expect(exact(earlier)).toEqual(exact(openClvSummaries(dbA, { ...o, endDay: 20_200 })));
  });

  it('scores CLV into a CSV as the SQLite node does; without --out the CLI says what to do', async () => {
    const model = ClvModelSchema.parse(
      JSON.parse(readFileSync(join(EXAMPLES, 'clv-model.json'), 'utf8'))
    );
    const read = (f: string) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .sort((x, y) => ((x[0] as string) < (y[0] as string) ? -1 : 1));
    const opts = { asOf: '2025-11-01' };
    const a = await writeClvScoresCsv(dbA, model, join(root, 'clv-a.csv'), opts);
    const b = await writeClvScoresCsv(dbB, model, join(root, 'clv-b.csv'), opts);
    expect(a.scored).toBeGreaterThan(100);
    expect(b.scored).toBe(a.scored);
    const [ra, rb] = [read(a.out), read(b.out)];
    expect(rb.map((x) => x[0])).toEqual(ra.map((x) => x[0]));
    rb.forEach((x, i) => {
      for (let j = 1; j <= 4; j++)
        expect(Number(x[j])).toBeCloseTo(Number((ra[i] as string[])[j]), 9);
    });
    const cli = await runCli(
      'node',
      'clv-score',
      '--dir',
      join(root, 'b'),
      '--model',
      join(EXAMPLES, 'clv-model.json')
    );
    expect(cli.code).toBe(16);
    expect(cli.err).toContain(
      'give --out clv.csv, load the file into the warehouse and map it as the feature table clv'
    );
  });

  it('releases the same clv round vectors (BG/NBD and the Gamma-Gamma start) as the SQLite node', () => {
    const policy = PolicySchema.parse({ testOnlyAllowNoiseOff: true });
    const fit = ClvFitSpecSchema.parse({ calibrationEnd: '2025-11-08' });
    for (const round of [0, fit.rounds.bgnbd]) {
      const { query } = clvRoundQuery('clv on a warehouse', fit, round, null);
      const req = { jobId: 'j-clv-wh', round, query, noise: 'off-test-only' as const, minNodes: 3 };
      const a = releaseClvRound({ db: dbA, identity: idA, policy }, req);
      const b = releaseClvRound({ db: dbB, identity: idB, policy }, req);
      expect(a.rows).toBeGreaterThan(100);
      expect([b.rows, b.values]).toEqual([a.rows, a.values]);
    }
  });

  it('builds the same audience (segment field, feature-table column, model score) as the SQLite node', async () => {
    copyFileSync(join(EXAMPLES, 'churn-model.json'), join(root, 'churn-model.json'));
    const ruleFile = join(root, 'audience.json');
    const rule = parseAudienceRule({
      version: 1,
      kind: 'audience',
      name: 'tenured, at risk',
      where: [
        { field: 'lifecycle_stage', in: ['growth', 'mature', 'decline'] },
        { field: 'table.churn.tenure_days', min: 200 },
      ],
      score: { model: { file: 'churn-model.json', table: 'churn' }, min: 0.2 },
    });
    writeFileSync(ruleFile, JSON.stringify(rule));
    const build = (db: Database.Database, identity: NodeIdentity, out: string) =>
      buildAudience({
        db,
        identity,
        rule,
        ruleFile,
        out: join(root, out),
        asOf: AS_OF,
        consentAt: AT,
      });
    const a = await build(dbA, idA, 'audience-a.csv');
    const b = await build(dbB, idB, 'audience-b.csv');
    expect(a.count).toBeGreaterThan(10);
    expect(a.count).toBeLessThan([...sqlite().customers()].length);
    expect([b.count, b.unitsRoot === a.unitsRoot]).toEqual([a.count, false]); // peppers differ
    expect(readFileSync(join(root, 'audience-b.csv'), 'utf8')).toBe(
      readFileSync(join(root, 'audience-a.csv'), 'utf8')
    );
    await expect(
      buildAudience({
        db: dbB,
        identity: idB,
        rule: { ...rule, where: [{ field: 'table.churn.shoe_size', min: 1 }] },
        ruleFile,
        out: join(root, 'never.csv'),
        asOf: AS_OF,
      })
    ).rejects.toThrow('feature table "churn" has no column "shoe_size"');
  });

  it('decides the same for every customer as the SQLite node (batch and point reads)', async () => {
    // The example policy: the churn model on the churn table, CLV tiers, fatigue, rates, DND.
    const loaded = loadDecisionPolicy(join(EXAMPLES, 'decision-policy.json'));
    const now = new Date('2025-11-20T10:00:00Z');
    const ctxA = { db: dbA, identity: idA, loaded, now };
    const ctxB = { db: dbB, identity: idB, loaded, now };
    const [outA, outB] = [join(root, 'decisions-a.csv'), join(root, 'decisions-b.csv')];
    const mixA = await decideBatch(ctxA, { out: outA });
    const mixB = await decideBatch(ctxB, { out: outB });
    expect(mixA.decisions).toBe([...dbA.prepare('SELECT 1 FROM customers').all()].length);
    expect(mixA.withAction).toBeGreaterThan(50);
    expect(mixA.reasons['no_marketing_consent']).toBeGreaterThan(0);
    for (const rule of ['score', 'response_rate', 'clv_tier'])
      expect(mixA.rules[rule] ?? 0, `${rule}: ${JSON.stringify(mixA.rules)}`).toBeGreaterThan(0);
    expect(mixB).toEqual(mixA);
    // SQLite streams in rowid order, the warehouse in id order: compare the lines as sets.
    const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').sort();
    expect(lines(outB)).toEqual(lines(outA));
    // The facts themselves, touches of the fatigue window included (fatigue rarely fires on 300
    // customers, so the decisions alone would not show a wrong window).
    const facts = (l: FactLoader) =>
      [...l.all()]
        .map((f) => ({ ...f, clvValue: f.clvValue === null ? null : +f.clvValue.toFixed(6) }))
        .sort((x, y) => (x.customerId < y.customerId ? -1 : 1));
    const o = { policy: loaded.compiled, models: loaded.models, now };
    const factsA = facts(createFactLoader({ db: dbA, identity: idA, ...o }));
    const wh = warehouseAccess(dbB);
    if (!wh) throw new Error('node b has no warehouse mapping');
    const factsB = facts(
      createWarehouseFactLoader({
        db: dbB,
        identity: idB,
        ...o,
        ...wh,
        overlay: wh.overlay('marketing', now),
      })
    );
    expect(factsA.filter((f) => Object.keys(f.touches7d).length > 0).length).toBeGreaterThan(3);
    expect(factsB).toEqual(factsA);
    const ids = [...decisionIds(outA).slice(0, 25), 'no-such-customer'];
    expect(decideCustomers(ctxB, ids, 'cli').decisions).toEqual(
      decideCustomers(ctxA, ids, 'cli').decisions
    );
  });

  it('lists the same feature tables and typed columns for train rounds and scoring', () => {
    expect(openFeatureCatalog(dbB).tables()).toEqual(['churn']);
    expect(openFeatureCatalog(dbB).columns('churn')).toEqual(featureTableColumns(dbA, 'churn'));
    expect(() => openFeatureCatalog(dbB).columns('nope')).toThrow(
      'feature table "nope" does not exist'
    );
  });

  const base = { version: 1, kind: 'segment_stats', purpose: 'analytics', asOf: AS_OF, epsilon: 1 };
  const QUERIES: Record<string, Partial<SegmentQueryInput>> = {
    'RFM class x monetary': {
      dimensions: [{ field: 'rfm_class', categories: ['R+F+M+', 'R-F-M-', 'R+F-M+'] }],
      measures: [{ field: 'monetary', lower: 0, upper: 2000, scale: 100 }],
      params: { rfm: { means: { recency: 120, frequency: 4, monetary: 250 } } },
    },
    'R, F and M scores': {
      dimensions: ['r_score', 'f_score', 'm_score'].map((field) => ({
        field,
        categories: ['1', '2', '3', '4', '5'],
      })),
    },
    'lifecycle x NES': {
      dimensions: [
        { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
        { field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] },
      ],
      measures: [{ field: 'clv_historical', lower: 0, upper: 3000 }],
    },
    'funnel by campaign variant': {
      unit: 'assignment',
      dimensions: [{ field: 'variant', categories: ['A', 'B'] }],
      measures: ['clicked', 'converted'].map((field) => ({ field, lower: 0, upper: 1 })),
    },
    'touches by channel, the first 2 per customer': {
      unit: 'touch',
      maxRowsPerCustomer: 2,
      dimensions: [{ field: 'channel', categories: ['email', 'sms', 'app'] }],
      measures: [{ field: 'responded', lower: 0, upper: 1 }],
    },
    'channel x hour of week': {
      unit: 'event',
      maxRowsPerCustomer: 3,
      dimensions: [
        { field: 'channel', categories: ['web', 'store', 'app'] },
        { field: 'hour_of_week', edges: [24, 48, 72, 96, 120, 144] },
      ],
    },
    'fatigue (touches in 7 days)': {
      unit: 'customer_channel',
      dimensions: [{ field: 'touches_7d', edges: [1, 2, 3, 5] }],
    },
    'feature table column': {
      dimensions: [{ field: 'table.churn.tenure_days', edges: [90, 365, 730] }],
    },
  };
  // Row-unit queries the warehouse computes in SQL (analytics/cell-plan.ts), beside the ones above.
  const PUSHED: Record<string, Partial<SegmentQueryInput>> = {
    'amount by event type and category, sums and squares, ties in rounding': {
      unit: 'event',
      maxRowsPerCustomer: 5,
      dimensions: [
        { field: 'event_type', categories: ['purchase', 'visit'] },
        { field: 'category', categories: ['grocery', 'apparel', "it's"] },
      ],
      measures: [
        { field: 'amount', lower: 0, upper: 500, scale: 100, squares: true, squareScale: 10 },
        { field: 'hour_of_week', lower: 10.25, upper: 150.5, scale: 2, squares: true },
      ],
    },
    'amount bins, with an odd scale and a negative lower bound': {
      unit: 'event',
      maxRowsPerCustomer: 4,
      dimensions: [{ field: 'amount', edges: [0, 10.5, 50, 200] }],
      measures: [{ field: 'amount', lower: -10.5, upper: 50.5, scale: 3, squares: true }],
    },
    'touch outcome x hour of day categories, hour as a measure': {
      unit: 'touch',
      maxRowsPerCustomer: 6,
      dimensions: [
        { field: 'outcome', categories: ['none', 'opened', 'clicked', 'converted'] },
        { field: 'hour_of_week', categories: ['9', '10', '11', '12', '13', '14'] },
      ],
      measures: [{ field: 'hour_of_week', lower: 0, upper: 167 }],
    },
    'funnel by campaign x variant, the first 2 assignments per customer': {
      unit: 'assignment',
      maxRowsPerCustomer: 2,
      dimensions: [
        { field: 'campaign', categories: ['spring_sale', 'loyalty_push', 'holiday_promo'] },
        { field: 'variant', categories: ['A', 'B'] },
      ],
      measures: ['exposed', 'clicked', 'converted'].map((field) => ({ field, lower: 0, upper: 1 })),
    },
    'fatigue per channel, touches with squares': {
      unit: 'customer_channel',
      dimensions: [{ field: 'channel', categories: ['email', 'sms', 'app'] }],
      measures: [{ field: 'touches_7d', lower: 0, upper: 20, squares: true }],
    },
  };
  // Spies on a warehouse source: how many plans it computed in SQL.
  const spied = (src: UnitSource): { src: UnitSource; pushed: () => number } => {
    let n = 0;
    const cells = src.cells?.bind(src);
    if (!cells) throw new Error('a warehouse source computes cells');
    return {
      src: { ...src, cells: (plan, seen) => (n++, cells(plan, seen)) },
      pushed: () => n,
    };
  };
  const streamsOnly = ({ cells: _, ...src }: UnitSource): UnitSource => src;
  const ROW_UNITS = ['assignment', 'touch', 'event', 'customer_channel'];
  for (const [name, q] of Object.entries({ ...QUERIES, ...PUSHED })) {
    it(`gives the same segment vector: ${name}`, () => {
      const query = SegmentQuerySchema.parse({ ...base, ...q });
      const a = computeSegmentVector(query, sqlite()).values;
      expect(a.some((v) => v > 0n)).toBe(true);
      const w = spied(warehouse());
      expect(computeSegmentVector(query, w.src).values).toEqual(a);
      // Every row-unit query here reads only its rows' own fields, so PostgreSQL computed it.
      expect(w.pushed()).toBe(ROW_UNITS.includes(query.unit) ? 1 : 0);
      expect(computeSegmentVector(query, streamsOnly(warehouse())).values).toEqual(a);
    });
  }

  it('computes a row-unit query over customer fields from the streams, with the same vector', () => {
    const query = SegmentQuerySchema.parse({
      ...base,
      unit: 'event',
      maxRowsPerCustomer: 3,
      dimensions: [
        { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
        { field: 'channel', categories: ['web', 'store', 'app'] },
      ],
    });
    const w = spied(warehouse());
    const b = computeSegmentVector(query, w.src).values;
    expect(w.pushed()).toBe(0);
    expect(b).toEqual(computeSegmentVector(query, sqlite()).values);
  });

  it('commits a pushed-down release to the same customers as one read from the streams', () => {
    const policy = PolicySchema.parse({ testOnlyAllowNoiseOff: true });
    const funnel = PUSHED['funnel by campaign x variant, the first 2 assignments per customer'];
    const query = SegmentQuerySchema.parse({ ...base, ...funnel });
    const release = (source: UnitSource, jobId: string) =>
      releaseSegmentStats(
        { db: dbB, identity: idB, policy },
        { query, source, jobId, round: 0, noise: 'off-test-only' }
      );
    const w = spied(warehouse());
    const a = release(w.src, 'j-push-units');
    expect(w.pushed()).toBe(1);
    const b = release(streamsOnly(warehouse()), 'j-stream-units');
    expect(a.values).toEqual(b.values);
    const units = (jobId: string) => {
      const e = listLedger(dbB, { type: 'release' }).find((x) => x.body['jobId'] === jobId);
      return [e?.body['unitsCount'], e?.body['unitsRoot']];
    };
    expect(units('j-push-units')[0]).toBeGreaterThan(100);
    expect(units('j-push-units')).toEqual(units('j-stream-units'));
  });

  it('honours a revocation in the warehouse, one recorded on the node, and an erasure', async () => {
    const ids = [...warehouse().customers()].map((c) => c.customerId);
    // Three customers with purchases before the cut, so the CLV summaries had them too.
    const clvOpts = {
      endDay: 20_400,
      daysPerUnit: 7,
      consent: { purpose: 'analytics' as const, at: AT },
    };
    const buyers = openClvSummaries(dbB, clvOpts).map((c) => c.customerId);
    const [first, second, third] = buyers as [string, string, string];
    // The institution records a revocation in its own consent table.
    pg.psql(
      `INSERT INTO retail.consents VALUES ('${first}', 'analytics', 'revoked', '2025-11-30T00:00:00Z', 'web');`
    );
    // The node records one through its CLI/API path (its own SQLite).
    revokeConsent(dbB, idB, {
      customerId: second,
      purpose: 'analytics',
      source: 'call_centre',
      time: new Date('2025-11-30T00:00:00Z'),
    });
    const erased = eraseCustomer(dbB, idB, third, { reason: 'test' });
    expect(erased.pseudonym).toMatch(/^[0-9a-f]{64}$/);
    const gone = new Set([first, second, third]);
    const src = warehouse();
    expect([...src.customers()].map((c) => c.customerId)).toEqual(ids.filter((i) => !gone.has(i)));
    for (const stream of [
      src.events(),
      src.touches(),
      warehouse('model_training').tableRows('churn'),
    ])
      for (const r of stream) if (r.customerId === third) throw new Error('erased customer read');
    expect([...src.events()].some((e) => e.customerId === first || e.customerId === second)).toBe(
      false
    );
    // Pushed down, the erased and revoked customers are left out as the streams leave them out.
    for (const q of Object.values(PUSHED)) {
      const query = SegmentQuerySchema.parse({ ...base, ...q });
      expect(computeSegmentVector(query, src).values).toEqual(
        computeSegmentVector(query, streamsOnly(src)).values
      );
    }
    // A decision for the erased customer says so, and the batch no longer has them.
    const ctx = {
      db: dbB,
      identity: idB,
      loaded: loadDecisionPolicy(join(EXAMPLES, 'decision-policy.json')),
      now: AT,
    };
    expect(decideCustomers(ctx, [third], 'cli').decisions[0]?.reason).toBe('erased');
    const batch = join(root, 'after-erasure.csv');
    await decideBatch(ctx, { out: batch });
    expect(decisionIds(batch)).not.toContain(third);
    expect(decisionIds(batch)).toContain(first);
    const clv = openClvSummaries(dbB, clvOpts).map((c) => c.customerId);
    expect(clv).toEqual(buyers.filter((i) => !gone.has(i)));
    // The revocation is dated: a computation whose consent moment precedes it still sees them.
    const before = openUnitSource(dbB, {
      purpose: 'analytics',
      asOf: AS_OF,
      consentAt: new Date('2025-11-29T00:00:00Z'),
    });
    const seen = new Set([...before.customers()].map((c) => c.customerId));
    expect([seen.has(first), seen.has(second), seen.has(third)]).toEqual([true, true, false]);
  });
});
