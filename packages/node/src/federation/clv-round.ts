import {
  ProtocolError,
  clvQueryLayout,
  epsilonToMicro,
  type ClvRoundQuery,
  type RoundNoise,
} from '@fedmark/protocol';
import { releaseVector, type Release } from '../release/index.ts';
import { openClvSummaries } from '../warehouse/index.ts';
import { clvRoundVector } from '../clv/round-release.ts';
import { dayOfIso } from '../analytics/_days.ts';
import type { TrainReleaseContext } from './train-round.ts';

/**
 * A `clv` job round at this node (docs/clv.md "The clv job"): derive the public layout from the
 * round query and check it against the round's hash, then release through the node's release
 * path as model training (kind `train`, purpose `model_training`: policy, minRowsPerJob, budget,
 * noise share, one transaction charging the budget and writing the ledger). The exact vector is
 * clvRoundVector over the summaries, up to the calibration end, of the customers whose
 * `model_training` consent is in force now; erased customers have no events, so no summary (on a
 * warehouse node, their tombstones exclude them).
 */

export interface ClvRoundRequest {
  jobId: string;
  round: number;
  query: ClvRoundQuery;
  noise: 'on' | 'off-test-only';
  minNodes: number;
  roundNoise?: RoundNoise;
  secureAggregation?: { threshold: number };
}

export function releaseClvRound(ctx: TrainReleaseContext, req: ClvRoundRequest): Release {
  const q = req.query;
  const expected = q.model === 'bgnbd' ? req.round : req.round - q.clv.rounds.bgnbd;
  if (q.step !== expected || expected < 0)
    throw new ProtocolError(
      'BAD_REQUEST',
      `round ${req.round} of a clv job is ${q.model} step ${Math.max(0, expected)}, the query says step ${q.step}`
    );
  const layout = clvQueryLayout(q);
  if (layout.hash !== q.layoutHash)
    throw new ProtocolError(
      'LAYOUT_MISMATCH',
      `round ${req.round}: this node derives layout ${layout.hash.slice(0, 12)}…, the round names ${q.layoutHash.slice(0, 12)}…`
    );
  const micro = layout.blocks.reduce((s, b) => s + b.epsilonMicro, 0);
  if (micro !== epsilonToMicro(q.epsilon))
    throw new ProtocolError(
      'BAD_REQUEST',
      `round ${req.round}: the round's epsilon ${q.epsilon} is not the layout's ${micro / 1e6}`
    );
  return releaseVector(ctx, {
    kind: 'train',
    purpose: 'model_training',
    jobId: req.jobId,
    round: req.round,
    layout,
    compute: () => {
      // From the node's events or its warehouse (openClvSummaries picks the backend).
      const customers = openClvSummaries(ctx.db, {
        endDay: dayOfIso(q.clv.calibrationEnd),
        daysPerUnit: q.clv.daysPerUnit,
        consent: { purpose: 'model_training', at: new Date() },
      });
      return {
        values: clvRoundVector(layout, customers),
        rows: customers.length,
        suppressedCells: 0,
        units: customers.map((c) => c.customerId),
      };
    },
    name: q.name,
    noise: req.noise,
    minNodes: req.minNodes,
    ...(req.roundNoise !== undefined ? { roundNoise: req.roundNoise } : {}),
    ...(req.secureAggregation !== undefined ? { secureAggregation: req.secureAggregation } : {}),
  });
}
