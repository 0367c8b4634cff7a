import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { PolicySchema, ProtocolError } from '@fedmark/protocol';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { listLedger } from '../ledger/index.ts';
import { budgetStatus } from '../privacy/budget.ts';
import type { NoiseLayout } from '../privacy/noise.ts';
import { releaseVector } from './index.ts';

const AT = new Date('2026-11-22T10:00:00Z');
let db: Database.Database;
useTempDatabase('fedmark-release-vector-', (t) => ({ db } = t));

/** A training-round-shaped layout: count (1 slot) and gradient (3 slots), epsilon 0.1 + 0.4. */
const layout: NoiseLayout = {
  length: 4,
  hash: 'a'.repeat(64),
  blocks: [
    { name: 'count', offset: 0, length: 1, sensitivity: 1n, epsilonMicro: 100_000 },
    { name: 'gradient', offset: 1, length: 3, sensitivity: 3000n, epsilonMicro: 400_000 },
  ],
};

describe('releaseVector (any public layout, e.g. a training round)', () => {
  it('charges the purpose of the round and records kind train in the ledger', () => {
    const policy = PolicySchema.parse({});
    let reads = 0;
    const compute = () => {
      reads++;
      return { values: [500n, 10n, -20n, 30n], rows: 500, suppressedCells: 0 };
    };
    const r = releaseVector(
      { db, identity: { name: 'n' }, policy },
      {
        kind: 'train',
        purpose: 'model_training',
        jobId: 'model-1',
        round: 3,
        layout,
        compute,
        minNodes: 3,
        at: AT,
      }
    );
    expect(r.epsilonMicro).toBe(500_000);
    expect(r.variance[0]).toBeGreaterThan(0);
    expect(budgetStatus(db, policy, 'model_training', AT)[0]?.spentMicro).toBe(500_000);
    expect(budgetStatus(db, policy, 'analytics', AT)[0]?.spentMicro).toBe(0);
    expect(listLedger(db, { type: 'release' })[0]?.body).toMatchObject({
      kind: 'train',
      noiseScales: [
        { block: 'count', epsilonMicro: 100_000, scale: '1000000/100000' },
        { block: 'gradient', epsilonMicro: 400_000, scale: '3000000000/400000' },
      ],
    });
    const again = releaseVector(
      { db, identity: { name: 'n' }, policy },
      {
        kind: 'train',
        purpose: 'model_training',
        jobId: 'model-1',
        round: 3,
        layout,
        compute,
        at: AT,
      }
    );
    expect(again.reused).toBe(true);
    expect(reads).toBe(1);
  });

  it('refuses a kind the policy does not allow, without computing', () => {
    const policy = PolicySchema.parse({ allowedKinds: ['segment_stats'] });
    let reads = 0;
    expect(() =>
      releaseVector(
        { db, identity: { name: 'n' }, policy },
        {
          kind: 'train',
          purpose: 'model_training',
          jobId: 'model-2',
          round: 0,
          layout,
          compute: () => {
            reads++;
            return { values: [0n, 0n, 0n, 0n], rows: 0, suppressedCells: 0 };
          },
          at: AT,
        }
      )
    ).toThrow(ProtocolError);
    expect(reads).toBe(0);
    expect(listLedger(db, { type: 'job_refused' })[0]?.body).toMatchObject({
      jobId: 'model-2',
      kind: 'train',
    });
  });

  it('refuses a computed vector of the wrong length and writes nothing', () => {
    const policy = PolicySchema.parse({});
    expect(() =>
      releaseVector(
        { db, identity: { name: 'n' }, policy },
        {
          kind: 'train',
          purpose: 'model_training',
          jobId: 'model-3',
          round: 0,
          layout,
          compute: () => ({ values: [1n], rows: 1, suppressedCells: 0 }),
          at: AT,
        }
      )
    ).toThrow(/computed 1 values for a layout of 4 slots/);
    expect(listLedger(db, { type: 'release' })).toHaveLength(0);
  });
});
