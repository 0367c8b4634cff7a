/**
 * Node side of joint model rounds (docs/models.md): phase-1 standardisation release and the
 * per-round gradient release, both exact fixed-point integer vectors with discrete Laplace noise,
 * plus an in-process federation for tests and benchmarks.
 *
 * @example
 * import { TrainSpecSchema, roundLayout } from '@fedmark/protocol';
 * import { localGradientRelease } from './training/index.ts';
 * const release = localGradientRelease(spec, publishedModel, consentingRows, { noise: true });
 * release.layout.hash; // must equal roundLayout(spec, publishedModel.encoding, round).hash
 * release.values; // bigint[]: encrypt, sign and submit; release.epsilonMicro: charge the ledger
 */
/** Round release (MUST be computed over customers with `model_training` consent in force only). */
export {
  localGradientRelease,
  localRoundVector,
  type GradientRelease,
  type RoundVector,
  type TrainingRow,
} from './gradient-release.ts';
/** Phase-1 release: counts, base rate and centred moments of the numeric features. */
export {
  localStandardisationRelease,
  localStandardisationVector,
  type StandardisationRelease,
} from './standardisation-release.ts';
/** Validation membership by keyed hash of the customer id (disjoint from training by construction). */
export { isValidationRecord } from './validation-split.ts';
/** In-process federation (exact integer sums, as the HE aggregation) and the pooled reference. */
export {
  simulateTraining,
  simulateStandardisation,
  simulateStandardisationQuery,
  simulateOwnModelCheck,
  type SimNode,
  type SimOptions,
} from './simulate.ts';
export { fitPooledLogistic } from './reference.ts';
/** The own-model check (train.ownModelCheck): this node's own model against the federated one. */
export {
  compareWithOwnModel,
  fitOwnModel,
  ownModelCheckVector,
  ownModelComparison,
  splitValidation,
  type OwnModel,
  type OwnModelComparison,
} from './own-model-check.ts';
export { pairedAucComparison, type AucComparison } from './auc-comparison.ts';
/** Local scoring of the node's own customers with a model file (nothing leaves the node). */
export { scoreNodeCustomers, pickScoringTable, type NodeScores } from './score-node.ts';
