/**
 * Contract suite for UnitSource implementations (STYLE §7: one suite, every implementation).
 * `memory-source.test.ts` runs it on memoryUnitSource; a store can run it by loading
 * UNIT_SOURCE_CONTRACT_DATA (every customer with analytics consent) and returning its source.
 * Test-only: imports vitest.
 */
import { describe, expect, it } from 'vitest';
import { SegmentQuerySchema, type SegmentQueryInput } from '@fedmark/protocol';
import { dayOfIso } from './_days.ts';
import { computeSegmentVector } from './segment-vector.ts';
import { UNIT_SOURCE_CONTRACT_DATA, type ContractData } from './unit-source-contract-data.ts';
import type { UnitSource } from './types.ts';

export { UNIT_SOURCE_CONTRACT_DATA, type ContractData };

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2024-07-01',
  epsilon: 1,
} as const;
const vector = (src: UnitSource, q: Partial<SegmentQueryInput>): bigint[] =>
  computeSegmentVector(SegmentQuerySchema.parse({ ...base, ...q }), src).values;

export function runUnitSourceContract(
  name: string,
  make: (data: ContractData) => UnitSource | Promise<UnitSource>
): void {
  describe(`UnitSource contract: ${name}`, () => {
    const day = dayOfIso;

    it('summarises customers in id order: purchases by type, distinct days, activity, monetary', async () => {
      const src = await make(UNIT_SOURCE_CONTRACT_DATA);
      const got = [...src.customers()].map(({ attributes, ...rest }) => ({
        ...rest,
        region: attributes['region'] ?? null,
      }));
      expect(got).toEqual([
        // c1: 3 purchases on 2 days (two on 01-05), 35 in all; last activity = the click on 06-26.
        {
          customerId: 'c1',
          signupDay: day('2023-01-10'),
          purchaseCount: 3,
          purchaseDays: 2,
          firstPurchaseDay: day('2024-01-05'),
          lastPurchaseDay: day('2024-03-01'),
          lastActivityDay: day('2024-06-26'),
          monetary: 35,
          region: 'north',
        },
        // c2: visit 05-01, then an opened touch 06-28 counts as activity (the 06-29 'none' does not).
        {
          customerId: 'c2',
          signupDay: null,
          purchaseCount: 0,
          purchaseDays: 0,
          firstPurchaseDay: null,
          lastPurchaseDay: null,
          lastActivityDay: day('2024-06-28'),
          monetary: 0,
          region: null,
        },
        {
          customerId: 'c3',
          signupDay: day('2024-06-01'),
          purchaseCount: 1,
          purchaseDays: 1,
          firstPurchaseDay: day('2024-06-20'),
          lastPurchaseDay: day('2024-06-20'),
          lastActivityDay: day('2024-06-20'),
          monetary: 0,
          region: 'south',
        },
      ]);
    });

    it('streams events and touches by customer then time, strictly before asOf', async () => {
      const src = await make(UNIT_SOURCE_CONTRACT_DATA);
      expect(
        [...src.events()].map((e) => [
          e.customerId,
          new Date(e.time).toISOString().slice(0, 13),
          e.type,
          e.amount,
        ])
      ).toEqual([
        ['c1', '2024-01-05T10', 'purchase', 20.5],
        ['c1', '2024-01-05T15', 'purchase', 4.5],
        ['c1', '2024-03-01T09', 'purchase', 10],
        ['c1', '2024-06-15T08', 'visit', null],
        ['c2', '2024-05-01T08', 'visit', null],
        ['c3', '2024-06-20T12', 'purchase', 0],
      ]);
      expect([...src.touches()].map((x) => [x.customerId, x.outcome, x.variant])).toEqual([
        ['c1', 'clicked', 'A'],
        ['c2', 'opened', 'B'],
        ['c2', 'none', 'B'],
      ]);
      expect([...src.tableRows('risk')].map((r) => [r.customerId, r.values['vol']])).toEqual([
        ['c1', 2.5],
        ['c3', 9],
      ]);
    });

    it('gives the hand-computed vectors for customer, table and assignment queries', async () => {
      const src = await make(UNIT_SOURCE_CONTRACT_DATA);
      // c1 17 months -> mature; c2 no signup, no purchase -> __other__; c3 1 month -> intro.
      const stages = {
        field: 'lifecycle_stage',
        categories: ['intro', 'growth', 'mature', 'decline'],
      };
      expect(
        vector(src, {
          dimensions: [stages],
          measures: [{ field: 'monetary', lower: 0, upper: 100, scale: 100 }],
        })
      ).toEqual([1n, 0n, 1n, 0n, 1n, 3n, 0n, 0n, 3500n, 0n, 0n]);
      // vol: c1 2.5 -> <3, c3 9 -> >=3, c2 no row -> __missing__.
      expect(vector(src, { dimensions: [{ field: 'table.risk.vol', edges: [3] }] })).toEqual([
        1n,
        1n,
        1n,
        3n,
      ]);
      // assignments: c1 spring/A clicked; c2 spring/B opened then none -> not clicked.
      const funnel = ['clicked', 'converted'].map((field) => ({ field, lower: 0, upper: 1 }));
      expect(
        vector(src, {
          unit: 'assignment',
          dimensions: [{ field: 'variant', categories: ['A', 'B'] }],
          measures: funnel,
        })
      ).toEqual([1n, 1n, 0n, 2n, 1n, 0n, 0n, 0n, 0n, 0n]);
    });
  });
}
