import type Database from 'better-sqlite3';
import { interpretVector, layoutOf, microToEpsilon, type SegmentQuery, type SegmentResult } from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/index.ts';
import { loadPolicy, type NoiseMode } from '../policy/index.ts';
import { releaseLocalStats } from '../release/index.ts';
import { createUnitSource } from '../store/index.ts';

export interface LocalStatsResult {
  jobId: string;
  name: string;
  purpose: SegmentQuery['purpose'];
  asOf: string;
  unit: SegmentQuery['unit'];
  layoutHash: string;
  epsilon: number;
  noise: NoiseMode;
  /** Cells under the policy's minimum cohort, zeroed before noise (their figures are pure noise). */
  suppressedCells: number;
  minCohort: number;
  /** Per-cell estimates with 95% intervals, read through the public layout. */
  result: SegmentResult;
  /** The released slot values (noisy) and their noise variances, in layout order. */
  values: bigint[];
  variance: number[];
}

/**
 * Runs a segment-statistics query on this node through the release path (policy, budget check
 * and charge, minimum cohort, discrete Laplace noise, ledger), under a fresh local job id, and
 * reads the result back with error bars. Consent must be in force now, when the computation
 * runs (DESIGN §4), not only at the query's reference date. The exact row count the release
 * path reports is deliberately left out: only released figures are shown.
 */
export function runLocalStats(
  node: { dir: string; db: Database.Database; identity: NodeIdentity },
  query: SegmentQuery,
  opts: { noise?: NoiseMode; at?: Date } = {}
): LocalStatsResult {
  const policy = loadPolicy(node.dir);
  const at = opts.at ?? new Date();
  const source = createUnitSource(node.db, { purpose: query.purpose, asOf: query.asOf, consentAt: at });
  const release = releaseLocalStats(
    { db: node.db, dir: node.dir, identity: node.identity, policy },
    { query, source, noise: opts.noise ?? 'on', at }
  );
  const layout = layoutOf(query);
  const result = interpretVector(layout, release.values, release.variance, { dimensions: query.dimensions.map((d) => d.field) });
  return {
    jobId: release.jobId,
    name: query.name,
    purpose: query.purpose,
    asOf: query.asOf,
    unit: query.unit,
    layoutHash: release.layoutHash,
    epsilon: microToEpsilon(release.epsilonMicro),
    noise: release.noise,
    suppressedCells: release.suppressedCells,
    minCohort: policy.minCohort,
    result,
    values: release.values,
    variance: release.variance,
  };
}
