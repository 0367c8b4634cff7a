/**
 * Internal test helper: the node side of one aggregation round against a test harness, for tests
 * that care about what the coordinator does with the round, not about how nodes compute it.
 */
import { expect } from 'vitest';
import type { He } from '@fedmark/protocol';
import {
  makeDecryption,
  makeSubmission,
  specHashOf,
  type Harness,
  type SubmissionArgs,
  type TestNode,
} from '../_testing.ts';

/**
 * Every one of `nodes` submits `s.values` (really encrypted under `secretKey`) for the round's
 * spec hash unless `s` names another; each must get 200.
 */
export async function submitAll(
  h: Harness,
  he: He,
  secretKey: Uint8Array,
  nodes: readonly TestNode[],
  s: Omit<SubmissionArgs, 'specHash'> & { specHash?: string }
): Promise<void> {
  const specHash = s.specHash ?? specHashOf(h, s.jobId, s.round);
  for (const n of nodes) {
    const sub = makeSubmission(he, secretKey, n, { ...s, specHash });
    expect(
      (await h.node(n, 'POST', `/v1/node/jobs/${s.jobId}/rounds/${s.round}/submission`, sub)).status
    ).toBe(200);
  }
}

/**
 * The first two decryptors the coordinator chose for the round post `plain` as their decrypted
 * sum (two agreeing shares publish); each must get 200. `nodes` must include them.
 */
export async function decryptByTwo(
  h: Harness,
  nodes: readonly TestNode[],
  r: { jobId: string; round: number; layoutHash: string },
  plain: bigint[]
): Promise<void> {
  for (const name of (h.store.jobs.getRound(r.jobId, r.round)?.decryptors ?? []).slice(0, 2)) {
    const n = nodes.find((x) => x.name === name) as TestNode;
    expect(
      (
        await h.node(
          n,
          'POST',
          `/v1/node/jobs/${r.jobId}/rounds/${r.round}/decryption`,
          makeDecryption(n, r.jobId, r.round, r.layoutHash, plain)
        )
      ).status
    ).toBe(200);
  }
}
