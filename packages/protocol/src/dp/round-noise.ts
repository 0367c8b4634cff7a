import { epsilonToMicro } from '../schemas/common.ts';
import type { SegmentQuery } from '../schemas/segment-query.ts';
import type { TrainRoundQuery } from '../schemas/federation.ts';
import type { ClvRoundQuery } from '../clv/clv-job.ts';
import { LOCAL_LAPLACE, type Mechanism, type RoundNoise } from './mechanism.ts';
import { ownModelCheckNoise } from '../model/own-model-check.ts';

/**
 * A round's noise as the node adds it and the coordinator reports it, from the signed round
 * spec's mechanism and delta, the round's query, and the round's secure-aggregation threshold
 * (the fewest shares whose sum can be unmasked). The epsilon unit whose rho the blocks share is
 * the query's epsilon for statistics rounds, and the whole job's epsilon for training (so the
 * standardisation phase and every round draw on one rho: zCDP composition, docs/models.md §4;
 * the same for a clv fit, docs/clv.md).
 * A train job's check round is Laplace of the job's trust model (ownModelCheckNoise).
 */
export function roundNoiseOf(
  spec: { mechanism: Mechanism; delta: number },
  query: SegmentQuery | TrainRoundQuery | ClvRoundQuery,
  threshold: number
): RoundNoise {
  // The own-model check is one count of sensitivity 1: Laplace, whatever trains the model.
  if (query.kind === 'train_round' && query.phase === 'check')
    return ownModelCheckNoise(spec.mechanism, threshold);
  // A clv fit's rounds share one rho as training's do: the job's epsilon is the unit.
  const unit =
    query.kind === 'train_round'
      ? query.train.epsilon
      : query.kind === 'clv_round'
        ? query.clv.epsilon
        : query.epsilon;
  return unitNoiseOf(spec, unit, threshold);
}

/** The same from the epsilon unit itself (job creation: before any round query exists). */
export function unitNoiseOf(
  spec: { mechanism: Mechanism; delta: number },
  unitEpsilon: number,
  threshold: number
): RoundNoise {
  if (spec.mechanism === 'local-laplace') return LOCAL_LAPLACE;
  if (spec.mechanism === 'distributed-laplace')
    return { mechanism: 'distributed-laplace', contributors: threshold };
  return {
    mechanism: 'distributed-gaussian',
    delta: spec.delta,
    unitEpsilonMicro: epsilonToMicro(unitEpsilon),
    contributors: threshold,
  };
}
