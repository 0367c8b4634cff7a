import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentQuerySchema } from '@fedmark/protocol';
import { initNode, loadIdentity } from '../identity/index.ts';
import { createUnitSource, openNodeDatabase } from '../store/index.ts';
import { importCsv } from '../importing/index.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import { computeSegmentVector } from './index.ts';

/**
 * Regression: a merge-join whose row stream ended before the customer stream left a SQLite
 * statement open, and the release transaction on the same connection then failed with
 * "This database connection is busy executing a query".
 */
describe('computeSegmentVector over the SQLite store closes every statement', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.each(['assignment', 'touch', 'customer_channel'] as const)(
    'leaves the connection writable after a %s query',
    async (unit) => {
      const dir = mkdtempSync(join(tmpdir(), 'fedmark-cursors-'));
      dirs.push(dir);
      await initNode({ dir, name: 'cursor-node' });
      const db = openNodeDatabase(dir);
      try {
        const identity = loadIdentity(dir);
        // Customers c01..c20; only the first three have touches, so the touch stream ends first.
        const customers = join(dir, 'customers.csv');
        writeFileSync(
          customers,
          `customer_id,signup_date\n${Array.from({ length: 20 }, (_, i) => `c${String(i + 1).padStart(2, '0')},2025-01-01`).join('\n')}\n`
        );
        const touches = join(dir, 'touches.csv');
        writeFileSync(
          touches,
          'customer_id,time,channel,campaign,variant,outcome\nc01,2025-12-28,email,spring,A,clicked\nc02,2025-12-29,sms,spring,B,converted\nc03,2025-12-30,email,spring,A,none\n'
        );
        await importCsv(db, identity, {
          kind: 'customers',
          file: customers,
          lawfulBasis: [{ purpose: 'marketing', basis: 'legitimate_interest' }],
        });
        await importCsv(db, identity, { kind: 'touches', file: touches });
        const q = SegmentQuerySchema.parse({
          version: 1,
          kind: 'segment_stats',
          purpose: 'marketing',
          asOf: '2026-01-01',
          epsilon: 1,
          unit,
          maxRowsPerCustomer: 3,
          dimensions: [
            {
              field: unit === 'assignment' ? 'variant' : 'channel',
              categories: unit === 'assignment' ? ['A', 'B'] : ['email', 'sms'],
            },
          ],
        });
        const v = computeSegmentVector(
          q,
          createUnitSource(db, { purpose: 'marketing', asOf: '2026-01-01' })
        );
        expect(v.rows).toBe(3);
        expect(v.cellCounts.slice(0, 2)).toEqual([2, 1]);
        // The write that the release transaction would make must go through.
        const entry = appendLedgerEntry(db, {
          type: 'budget_reset',
          body: { purpose: 'marketing', reason: 'cursor regression test' },
        });
        expect(entry.type).toBe('budget_reset');
      } finally {
        db.close();
      }
    }
  );
});
