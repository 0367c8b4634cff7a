import { randomUUID } from 'node:crypto';
import { ProtocolError, layoutOf, type RoundNoise, type SegmentQuery } from '@fedmark/protocol';
import { computeSegmentVector, type UnitSource } from '../analytics/index.ts';
import type { NoiseMode } from '../policy/index.ts';
import { releaseVector, type Release, type ReleaseContext } from './release-vector.ts';
import { suppressSmallCells } from './suppress.ts';
import { recordingSource } from './_units-source.ts';

export interface ReleaseRequest {
  query: SegmentQuery;
  source: UnitSource;
  jobId: string;
  round: number;
  noise?: NoiseMode;
  /** Mechanism and secure aggregation of a federated round (releaseVector); local Laplace without. */
  roundNoise?: RoundNoise;
  secureAggregation?: { threshold: number };
  /** The federated job's minimum number of contributing nodes; absent for a local query. */
  minNodes?: number;
  at?: Date;
}

/**
 * The only path by which segment statistics leave the node: releaseVector's steps (policy,
 * idempotent job rounds, budget before data, noise on every slot, one transaction for charge +
 * release + ledger) with the query's public layout, and, as the data step, the exact
 * consent-filtered vector; after noise, every cell whose noisy count is under the policy's
 * minimum cohort is zeroed (post-processing, so it costs no privacy).
 */
export function releaseSegmentStats(ctx: ReleaseContext, req: ReleaseRequest): Release {
  const q = req.query;
  // The layout is public (derived from the query alone), so computing it reads no data.
  const layout = layoutOf(q);
  return releaseVector(ctx, {
    kind: 'segment_stats',
    purpose: q.purpose,
    jobId: req.jobId,
    round: req.round,
    layout,
    name: q.name,
    ...(req.noise !== undefined ? { noise: req.noise } : {}),
    ...(req.roundNoise !== undefined ? { roundNoise: req.roundNoise } : {}),
    ...(req.secureAggregation !== undefined ? { secureAggregation: req.secureAggregation } : {}),
    ...(req.minNodes !== undefined ? { minNodes: req.minNodes } : {}),
    ...(req.at !== undefined ? { at: req.at } : {}),
    compute: () => {
      // Every customer the computation reads (after consent filtering) is recorded for the
      // release's units commitment: what it could have used, whatever analytics did with it.
      const recorded = recordingSource(req.source);
      const exact = computeSegmentVector(q, recorded.source);
      if (exact.layout.hash !== layout.hash)
        throw new ProtocolError('INTERNAL', 'analytics produced a vector for a different layout');
      return { values: exact.values, rows: exact.rows, suppressedCells: 0, units: recorded.units };
    },
    // Suppression is judged on the noisy counts (post-processing): see suppress.ts.
    postProcess: (noisy, variance) => {
      const count = layout.blocks.find((b) => b.kind === 'count')!;
      const noisyCounts = layout.cells.map((_, cell) => Number(noisy[count.offset + cell]));
      return suppressSmallCells(layout, noisy, noisyCounts, ctx.policy.minCohort, variance);
    },
  });
}

/** A fresh job id for a local (not federated) query: `local-<uuid>`. */
export function localJobId(): string {
  return `local-${randomUUID()}`;
}

/**
 * `fedmark node stats`: the same release path for a query run locally, under a new
 * `local-<uuid>` job id (round 0, no minNodes). It charges the budget like any release.
 */
export function releaseLocalStats(
  ctx: ReleaseContext,
  req: Omit<ReleaseRequest, 'jobId' | 'round' | 'minNodes'>
): Release {
  return releaseSegmentStats(ctx, { ...req, jobId: localJobId(), round: 0 });
}
