import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoundJobSpecSchema, layoutOf, type JobResult, type JobSpecInput } from '@fedmark/protocol';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { roundQuery } from '../packages/coordinator/src/jobs/round-queries.ts';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { openNodeDatabase, createUnitSource } from '../packages/node/src/store/index.ts';
import { importCsv } from '../packages/node/src/importing/index.ts';
import { computeSegmentVector } from '../packages/node/src/analytics/index.ts';
import { CDNOW_RFM_COUNTS, CDNOW_RFM_MEANS, splitCdnow } from './support/cdnow.ts';

/**
 * Exactness (docs/architecture.md §8): with noise switched off (a test-only policy switch, refused
 * by default), the federated two-phase RFM job over the real CDNOW log split across three nodes
 * equals the pooled plaintext computation bit for bit, and reproduces the README's reference
 * counts.
 */
const AS_OF = '1998-07-01';
const rfmSpec: JobSpecInput = {
  version: 1,
  kind: 'rfm',
  name: 'cdnow rfm',
  noise: 'off-test-only',
  stragglerWaitMs: 0,
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: AS_OF,
    epsilon: 0.5,
    // Wide enough that nothing is clipped (max recency 546 days, frequency 217, spend 13,990.93).
    measures: [
      { field: 'recency_days', lower: 0, upper: 1000, scale: 1 },
      { field: 'frequency', lower: 0, upper: 1000, scale: 1 },
      { field: 'monetary', lower: 0, upper: 20000, scale: 100 },
    ],
  },
};

describe('exactness: federated RFM on CDNOW equals the pooled computation', () => {
  let workdir: string;
  let fed: LocalFederation;
  let result: JobResult;
  let files: string[];

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fedmark-exact-'));
    files = splitCdnow(join(workdir, 'data'), 3);
    fed = new LocalFederation({
      workdir,
      allowNoiseOff: true,
      nodes: files.map((f, i) => ({
        name: `cdnow-${i}`,
        data: {
          files: [{ kind: 'events' as const, path: f }],
          lawfulBasis: ['analytics=contract'],
        },
      })),
    });
    await fed.start();
    const jobId = await fed.operator.createJob(rfmSpec);
    await fed.operator.waitForJob(jobId, { timeoutMs: 120_000 });
    result = await fed.operator.result(jobId);
  }, 300_000);

  afterAll(async () => {
    await fed?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('publishes both rounds from all three nodes', () => {
    expect(result.status).toBe('published');
    expect(result.rounds.map((r) => r.contributingNodes)).toEqual([
      ['cdnow-0', 'cdnow-1', 'cdnow-2'],
      ['cdnow-0', 'cdnow-1', 'cdnow-2'],
    ]);
    expect(result.rounds.every((r) => r.noise === 'off-test-only')).toBe(true);
  });

  it('reproduces the reference RFM means and the 8 class counts exactly', () => {
    expect(result.rfmMeans!.recency).toBeCloseTo(CDNOW_RFM_MEANS.recency, 4);
    expect(result.rfmMeans!.frequency).toBeCloseTo(CDNOW_RFM_MEANS.frequency, 4);
    expect(result.rfmMeans!.monetary).toBeCloseTo(CDNOW_RFM_MEANS.monetary, 4);
    const counts = Object.fromEntries(
      result.rounds[1]!.cells.filter((c) => c.block === 'count' && c.labels[0] !== '__other__').map(
        (c) => [c.labels[0], c.estimate]
      )
    );
    expect(counts).toEqual(CDNOW_RFM_COUNTS);
  });

  it('equals the pooled plaintext vector slot for slot in both rounds', async () => {
    const pooledDir = join(workdir, 'pooled');
    await initNode({ dir: pooledDir, name: 'pooled' });
    const db = openNodeDatabase(pooledDir);
    try {
      const identity = loadIdentity(pooledDir);
      for (const f of files) {
        await importCsv(db, identity, {
          kind: 'events',
          file: f,
          lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
        });
      }
      const spec = RoundJobSpecSchema.parse(rfmSpec);
      const round0 = roundQuery(spec, 0);
      const pooled0 = computeSegmentVector(
        round0,
        createUnitSource(db, { purpose: 'analytics', asOf: AS_OF })
      );
      expect(result.rounds[0]!.layoutHash).toBe(layoutOf(round0).hash);
      expect(result.rounds[0]!.values).toEqual(pooled0.values.map(String));
      const round1 = roundQuery(spec, 1, result.rfmMeans);
      const pooled1 = computeSegmentVector(
        round1,
        createUnitSource(db, { purpose: 'analytics', asOf: AS_OF })
      );
      expect(result.rounds[1]!.values).toEqual(pooled1.values.map(String));
      expect(pooled1.rows).toBe(23570);
    } finally {
      db.close();
    }
  }, 120_000);
});
