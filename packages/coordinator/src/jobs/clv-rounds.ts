import {
  blockNoiseTail,
  clvRoundQuery,
  roundNoiseOf,
  type ClvJobSpec,
  type ClvRoundLayout,
  type ClvRoundQuery,
  type HeParamsId,
} from '@fedmark/protocol';
import { MAX_ROWS_REMEDY, checkRoundCapacity } from './capacity.ts';

/**
 * Rounds of a `clv` job (docs/clv.md "The clv job"): the query of job round `round` at the
 * parameters published after the round before (null: theta = 0, the first round of its model),
 * refused when its aggregate could wrap around the plaintext modulus. One customer moves a
 * block's slots by at most its L1 sensitivity, so nodes x (maxRowsPerNode x sensitivity + noise
 * tail of one share) bounds any slot of the sum.
 */
export function clvRoundPlan(
  spec: ClvJobSpec,
  round: number,
  theta: readonly number[] | null,
  capacity: { nodes: number; heParams: HeParamsId; maxRowsPerNode: number }
): { query: ClvRoundQuery; layout: ClvRoundLayout } {
  const plan = clvRoundQuery(spec.name, spec.clv, round, theta);
  const tail = roundNoiseOf(spec, plan.query, 1);
  checkRoundCapacity({
    round,
    slots: plan.layout.length,
    blocks: plan.layout.blocks,
    perNode: (b) => BigInt(capacity.maxRowsPerNode) * b.sensitivity + blockNoiseTail(b, tail),
    nodes: capacity.nodes,
    heParams: capacity.heParams,
    maxRowsPerNode: capacity.maxRowsPerNode,
    remedy: `lower the clv clip bounds or ${MAX_ROWS_REMEDY}`,
  });
  return plan;
}
