import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  ProtocolError,
  SegmentQuerySchema,
  canonicalHash,
  customerValue,
  type Canonical,
} from '@fedmark/protocol';
import { listLedger } from '../ledger/index.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { computeSegmentVector } from '../analytics/segment-vector.ts';
import { createUnitSource } from '../store/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { CLV_TEST_MODEL, importClvEvents } from './_clv-events-testing.ts';
import { dayOfIso } from '../analytics/_days.ts';
import { scoreSummaries } from './score-summaries.ts';
import { clvHorizon, writeClvScores } from './score-table.ts';

let root: string;
let db: Database.Database;
let identity: NodeIdentity;
useTempNode('clv-table-', 'n', (t) => ({ root, db, identity } = t));

const MODEL = CLV_TEST_MODEL;
const CONSENT_AT = new Date('2030-01-01T00:00:00Z');

function stored(): Record<string, unknown>[] {
  return db
    .prepare(
      `SELECT c.customer_id AS id, f.c_expected_purchases AS e, f.c_p_alive AS p,
        f.c_expected_spend AS s, f.c_clv AS v
       FROM ft_clv f JOIN customers c ON c.id = f.customer ORDER BY c.customer_id`
    )
    .all() as Record<string, unknown>[];
}

function expected(lastDay: string) {
  return scoreSummaries(db, dayOfIso(lastDay), 7).map((s) => {
    const v = customerValue(MODEL.bgnbd, MODEL.gammaGamma, s);
    return { id: s.customerId, e: v.expectedPurchases, p: v.pAlive, s: v.expectedSpend, v: v.clv };
  });
}

describe('writeClvScores', () => {
  it('stores customerValue of every summary as the feature table clv', async () => {
    await importClvEvents(db, identity, root);
    const r = writeClvScores(db, MODEL);
    expect(r.scored).toBe(4); // A, B, D, E; C has no purchase
    expect(r.lastDay).toBe('2024-02-04');
    // 12 months in weeks at 1% a month: protocol's DEFAULT_CLV_HORIZON.
    expect(r.horizon).toEqual({ periodLength: 52 / 12, periods: 12, discountRate: 0.01 });
    expect(stored()).toEqual(expected('2024-02-04'));
    const q = r.quantiles;
    if (!q) throw new Error('no quantiles');
    const clvs = expected('2024-02-04').map((x) => x.v);
    expect(q.clv.min).toBe(Math.min(...clvs));
    expect(q.clv.max).toBe(Math.max(...clvs));
    expect(q.pAlive.max).toBeLessThanOrEqual(1);
    expect(
      db
        .prepare(
          "SELECT name, type FROM feature_columns WHERE table_name = 'clv' ORDER BY position"
        )
        .all()
    ).toEqual([
      { name: 'expected_purchases', type: 'real' },
      { name: 'p_alive', type: 'real' },
      { name: 'expected_spend', type: 'real' },
      { name: 'clv', type: 'real' },
    ]);
    // The ledger records the table write like an import: table, model hash, rows, cut-off.
    const entry = listLedger(db, { type: 'import' }).at(-1);
    expect(entry?.body).toMatchObject({
      kind: 'table',
      table: 'clv',
      derivedBy: 'clv-score',
      fileHash: canonicalHash('clv-model', MODEL as unknown as Canonical),
      rowsInserted: r.scored,
      lastDay: '2024-02-04',
      months: 12,
    });
  });

  it('replaces the previous table: as-of, horizon and an erased customer', async () => {
    await importClvEvents(db, identity, root);
    writeClvScores(db, MODEL);
    eraseCustomer(db, identity, 'D');
    // As of 2024-02-05: the same last day (Feb 4) as the model's calibration end.
    const r = writeClvScores(db, MODEL, { asOf: '2024-02-05', months: 6, discount: 0.02 });
    expect(r.scored).toBe(3);
    expect(r.lastDay).toBe('2024-02-04');
    const h = clvHorizon(7, 6, 0.02);
    const want = scoreSummaries(db, dayOfIso('2024-02-04'), 7).map((s) => {
      const v = customerValue(MODEL.bgnbd, MODEL.gammaGamma, s, h);
      return {
        id: s.customerId,
        e: v.expectedPurchases,
        p: v.pAlive,
        s: v.expectedSpend,
        v: v.clv,
      };
    });
    expect(stored()).toEqual(want);
    expect(stored().map((x) => x['id'])).toEqual(['A', 'B', 'E']);
  });

  it('gives segment queries CLV tiers through table.clv.clv', async () => {
    await importClvEvents(db, identity, root);
    writeClvScores(db, MODEL);
    const [v0, v1, v2, v3] = expected('2024-02-04')
      .map((x) => x.v)
      .sort((a, b) => a - b) as [number, number, number, number];
    // Edges between the sorted values: one customer per tier, C (no purchase) missing.
    const edges = [(v0 + v1) / 2, (v2 + v3) / 2];
    const query = SegmentQuerySchema.parse({
      version: 1,
      kind: 'segment_stats',
      purpose: 'analytics',
      asOf: '2024-07-01',
      epsilon: 1,
      dimensions: [{ field: 'table.clv.clv', edges }],
    });
    const src = createUnitSource(db, {
      purpose: 'analytics',
      asOf: '2024-07-01',
      consentAt: CONSENT_AT,
    });
    // <e0, [e0, e1), >=e1, __missing__
    expect(computeSegmentVector(query, src).cellCounts).toEqual([1, 2, 1, 1]);
  });

  it('leaves the previous table when the write fails midway', async () => {
    await importClvEvents(db, identity, root);
    writeClvScores(db, MODEL);
    const before = stored();
    // A failure at the third row (customer D), after A and B were written anew.
    const d = db
      .prepare("SELECT id FROM customers WHERE customer_id = 'D'")
      .pluck()
      .get() as number;
    db.exec(
      `CREATE TEMP TRIGGER clv_fail BEFORE INSERT ON main.ft_clv WHEN NEW.customer = ${d}
       BEGIN SELECT RAISE(ABORT, 'disk full'); END`
    );
    const entries = listLedger(db, { type: 'import' }).length;
    expect(() => writeClvScores(db, MODEL, { asOf: '2024-03-02' })).toThrow(/disk full/);
    expect(stored()).toEqual(before);
    expect(listLedger(db, { type: 'import' })).toHaveLength(entries);
    db.exec('DROP TRIGGER clv_fail');
    writeClvScores(db, MODEL, { asOf: '2024-03-02' });
    expect(stored()).not.toEqual(before);
  });

  it('refuses to replace an imported table named clv', async () => {
    await importClvEvents(db, identity, root);
    db.exec(
      "INSERT INTO feature_tables VALUES ('clv', 'customer_id'); INSERT INTO feature_columns VALUES ('clv', 0, 'score', 'real'); CREATE TABLE ft_clv (customer INTEGER PRIMARY KEY, seen_in INTEGER NOT NULL, c_score)"
    );
    expect(() => writeClvScores(db, MODEL)).toThrow(ProtocolError);
    expect(() => writeClvScores(db, MODEL)).toThrow(/imported columns \(score\)/);
  });
});
