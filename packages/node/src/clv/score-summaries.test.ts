import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useTempNode } from '../_testing/temp-node.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { dayOfIso } from '../analytics/_days.ts';
import { scoreSummaries } from './score-summaries.ts';
import { importClvEvents } from './_clv-events-testing.ts';

let root: string;
let db: Database.Database;
let identity: NodeIdentity;
useTempNode('clv-summaries-', 'n', (t) => ({ root, db, identity } = t));

describe('scoreSummaries', () => {
  it('summarises distinct purchase days up to the cut-off day, in model units', async () => {
    await importClvEvents(db, identity, root);
    eraseCustomer(db, identity, 'D');
    const end = dayOfIso('2024-02-04');
    const got = scoreSummaries(db, end, 7).map(({ customer: _c, ...s }) => s);
    expect(got).toEqual([
      // Jan 1 .. Jan 22 = 21 days = 3 weeks; Jan 1 .. Feb 4 = 34 days; (20 + 40) / 2 = 30.
      { customerId: 'A', frequency: 2, recency: 3, T: 34 / 7, monetary: 30 },
      // Jan 15 .. Feb 4 = 20 days.
      { customerId: 'B', frequency: 0, recency: 0, T: 20 / 7, monetary: 0 },
      { customerId: 'E', frequency: 0, recency: 0, T: 0, monetary: 0 },
    ]);
  });

  it('moves with the cut-off and the time unit', async () => {
    await importClvEvents(db, identity, root);
    // To Jan 8 in days: A has Jan 1 and Jan 8 (one repeat of 20); D has Jan 2 only; B, E none yet.
    const got = scoreSummaries(db, dayOfIso('2024-01-08'), 1).map(({ customer: _c, ...s }) => s);
    expect(got).toEqual([
      { customerId: 'A', frequency: 1, recency: 7, T: 7, monetary: 20 },
      { customerId: 'D', frequency: 0, recency: 0, T: 6, monetary: 0 },
    ]);
    // Everything to Mar 1, in days: A's Mar 1 day is a third repeat: (20 + 40 + 99) / 3 = 53.
    const all = scoreSummaries(db, dayOfIso('2024-03-01'), 1);
    expect(all.find((s) => s.customerId === 'A')).toMatchObject({
      frequency: 3,
      recency: 60,
      T: 60,
      monetary: 53,
    });
    expect(all.find((s) => s.customerId === 'E')).toMatchObject({ frequency: 1, monetary: 12 });
  });
});
