import { beforeAll, describe, expect, it } from 'vitest';
import { SegmentQuerySchema, type JobRoundSpec } from '@fedmark/protocol';
import { memoryUnitSource, type UnitSource } from '../analytics/index.ts';
import { loadPolicy, savePolicy } from '../policy/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { createTestNetwork, type TestNetwork } from './_test-network.ts';

/**
 * A node below its minRowsPerJob answers a round with the signed refusal the coordinator
 * already handles (docs/federation-protocol.md "Jobs and rounds"), after its setup: the
 * coordinator then drops it from the round like any node that did not submit, and only its mask
 * key is rebuilt (docs/secure-aggregation.md "Dropout guarantee"). What it signs names the rule
 * and the minimum, not its row count.
 */
const NAMES = ['a', 'b', 'c', 'd'] as const;
const ROWS: Record<string, number> = { a: 30, b: 25, c: 40, d: 5 };
let net: TestNetwork;
// One deadline for every copy of the spec: it is part of the signed spec hash.
const DEADLINE = new Date(Date.now() + 600_000).toISOString();

const query = SegmentQuerySchema.parse({
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2026-11-01',
  epsilon: 0.5,
  dimensions: [{ field: 'attr.region', categories: ['north'] }],
  measures: [],
});
const spec = (): JobRoundSpec => ({
  name: 'count',
  query,
  minNodes: 3,
  noise: 'off-test-only',
  mechanism: 'local-laplace',
  delta: 1e-7,
  deadline: DEADLINE,
});

function sourceFor(node: string): UnitSource {
  return memoryUnitSource({
    customers: Array.from({ length: ROWS[node] as number }, (_, i) => ({
      customerId: `${node}-${i}`,
      signupDay: 20_000,
      attributes: { region: 'north' },
    })),
    events: [],
    asOf: '2026-11-01',
  });
}

beforeAll(async () => {
  net = await createTestNetwork({ prefix: 'min-rows-net-', names: NAMES, sourceFor });
  for (const n of NAMES) {
    const dir = net.dirs[n] as string;
    const db = openNodeDatabase(dir);
    try {
      const minRowsPerJob = { segment_stats: 20, train: 100 };
      savePolicy(dir, db, { ...loadPolicy(dir), minRowsPerJob }, { reason: 'test' });
    } finally {
      db.close();
    }
  }
}, 120_000);

describe('a round at a node below minRowsPerJob', () => {
  it('is refused with a signed reason naming the rule, while the others submit', async () => {
    const subs = await net.submitAll('job-small', spec);
    expect(subs.map((s) => s?.node)).toEqual(['a', 'b', 'c', undefined]);
    const refusal = net.coord.refusals.find((r) => r.jobId === 'job-small');
    expect(refusal).toMatchObject({
      node: 'd',
      round: 0,
      reason:
        'POLICY_REFUSED: node d holds fewer eligible rows than its minRowsPerJob.segment_stats 20',
    });
    // The count stays in the node's own ledger, for its admin and auditors.
    expect(net.ledger('d', 'job_refused')).toEqual([
      {
        jobId: 'job-small',
        round: 0,
        kind: 'segment_stats',
        reason:
          'node d: 5 eligible rows < minRowsPerJob.segment_stats 20 (customers with analytics consent in force)',
      },
    ]);
    expect(net.ledger('d', 'release')).toEqual([]);
    expect(net.releaseOf('d', 'job-small')).toEqual([]);
    expect(net.failures('d')).toEqual([]);
  });
});
