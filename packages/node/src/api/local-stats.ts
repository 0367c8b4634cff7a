import type Database from 'better-sqlite3';
import {
  interpretVector,
  layoutOf,
  microToEpsilon,
  type SegmentQuery,
  type SegmentResult,
} from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/index.ts';
import { loadPolicy, type NoiseMode } from '../policy/index.ts';
import { releaseLocalStats, type Release } from '../release/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { openUnitSource } from '../warehouse/index.ts';
import type { UnitSource } from '../analytics/index.ts';

export interface LocalStatsResult {
  jobId: string;
  name: string;
  purpose: SegmentQuery['purpose'];
  asOf: string;
  unit: SegmentQuery['unit'];
  layoutHash: string;
  epsilon: number;
  noise: NoiseMode;
  /** Cells whose noisy count fell under the policy's minimum cohort, released as 0 (suppression after noise, docs/privacy.md). */
  suppressedCells: number;
  minCohort: number;
  /** Per-cell estimates with 95% intervals, read through the public layout and post-processed (raw values kept). */
  result: SegmentResult;
  /** The released slot values (noisy) and their noise variances, in layout order. */
  values: bigint[];
  variance: number[];
}

/**
 * Runs a segment-statistics query on this node through the release path (policy, budget check
 * and charge, minimum cohort, discrete Laplace noise, ledger), under a fresh local job id, and
 * reads the result back with error bars. Consent must be in force now, when the computation
 * runs (docs/node-data.md "Consent semantics"), not only at the query's reference date. The exact
 * row count the release path reports is deliberately left out: only released figures are shown.
 */
export function runLocalStats(
  node: { dir: string; db: Database.Database; identity: NodeIdentity },
  query: SegmentQuery,
  opts: { noise?: NoiseMode; at?: Date } = {}
): LocalStatsResult {
  const policy = loadPolicy(node.dir);
  const at = opts.at ?? new Date();
  // Reads go through a second connection: a merge-join may stop before the end of a row stream
  // (customers without touches, say) and leave a SQLite iterator open, which would make the
  // release transaction on the main connection fail with "connection is busy". WAL lets this
  // reader and that writer coexist; every iterator is closed before the reader connection is.
  const reader = openNodeDatabase(node.dir);
  const open: Iterator<unknown>[] = [];
  let release: Release;
  try {
    const source = tracked(
      openUnitSource(reader, { purpose: query.purpose, asOf: query.asOf, consentAt: at }),
      open
    );
    release = releaseLocalStats(
      { db: node.db, dir: node.dir, identity: node.identity, policy },
      { query, source, noise: opts.noise ?? 'on', at }
    );
  } finally {
    for (const it of open) it.return?.();
    reader.close();
  }
  const layout = layoutOf(query);
  // The measures' clipping bounds decide what post-processing projects (docs/analytics.md "Post-processing").
  const result = interpretVector(layout, release.values, release.variance, {
    dimensions: query.dimensions.map((d) => d.field),
    measures: query.measures,
  });
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

/** Wraps a UnitSource so every iterator it hands out is recorded (and can be closed). */
function tracked(source: UnitSource, open: Iterator<unknown>[]): UnitSource {
  const wrap = <T>(make: () => Iterable<T>): Iterable<T> => ({
    [Symbol.iterator]() {
      const it = make()[Symbol.iterator]();
      open.push(it);
      return it;
    },
  });
  return {
    customers: () => wrap(() => source.customers()),
    events: () => wrap(() => source.events()),
    touches: () => wrap(() => source.touches()),
    tableRows: (table) => wrap(() => source.tableRows(table)),
  };
}
