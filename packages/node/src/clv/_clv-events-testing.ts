/** Internal, tests only: hand-made purchases for the per-customer CLV tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { ClvModel } from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';

/** Hand-made purchases; the expected summaries below are worked out from them by hand. */
export const CLV_EVENTS = [
  'customer_id,time,type,amount,channel,category',
  // A: Jan 1 twice (10 + 5 = one transaction of 15), Jan 8 (20), Jan 22 twice at the same
  // moment (20 + 20 = 40), Mar 1 after the cut-off.
  'A,2024-01-01T08:00:00Z,purchase,10.00,web,a',
  'A,2024-01-01T19:30:00Z,purchase,5.00,web,a',
  'A,2024-01-08T12:00:00Z,purchase,20.00,web,a',
  'A,2024-01-22T09:00:00Z,purchase,20.00,web,a',
  'A,2024-01-22T09:00:00Z,purchase,20.00,web,a',
  'A,2024-03-01T09:00:00Z,purchase,99.00,web,a',
  // B: one purchase and a visit: no repeat.
  'B,2024-01-15T10:00:00Z,purchase,7.00,web,a',
  'B,2024-01-20T10:00:00Z,visit,,web,a',
  // C: visits only: no summary.
  'C,2024-01-03T10:00:00Z,visit,,web,a',
  // D: erased below.
  'D,2024-01-02T10:00:00Z,purchase,3.00,web,a',
  'D,2024-01-09T10:00:00Z,purchase,4.00,web,a',
  // E: first purchase late on the cut-off day itself (counted), the next day's is not.
  'E,2024-02-04T23:59:00Z,purchase,12.00,web,a',
  'E,2024-02-05T00:00:00Z,purchase,12.00,web,a',
  '',
].join('\n');

export async function importClvEvents(
  dbArg: Database.Database,
  id: NodeIdentity,
  dir: string
): Promise<void> {
  const file = join(dir, 'clv-events.csv');
  writeFileSync(file, CLV_EVENTS);
  await importCsv(dbArg, id, {
    kind: 'events',
    file,
    lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
  });
}

/** The pooled CDNOW fit (docs/clv.md "Measured") with its calibration end moved to CLV_EVENTS' cut-off. */
export const CLV_TEST_MODEL: ClvModel = {
  format: 'fedmark-clv-model',
  formatVersion: 1,
  kind: 'bgnbd_gamma_gamma',
  name: 'CDNOW pooled',
  daysPerUnit: 7,
  calibrationEnd: '2024-02-04',
  bgnbd: { r: 0.24259, alpha: 4.41353, a: 0.79289, b: 2.42575 },
  gammaGamma: { p: 6.2496, q: 3.7442, v: 15.4435 },
  fit: { method: 'pooled', nodes: [], rounds: 0, noise: false, epsilonPerNode: 0 },
};
