import {
  OWN_MODEL_CONFIDENCE_Z,
  OWN_MODEL_MARGIN,
  encodeRow,
  encodingOf,
  linearScore,
  modelVector,
  standardisationFromAggregate,
  type EncodedFeature,
  type Model,
  type RawRow,
  type TrainSpec,
} from '@fedmark/protocol';
import { pairedAucComparison } from './auc-comparison.ts';
import type { TrainingRow } from './gradient-release.ts';
import { fitPooledLogistic } from './reference.ts';
import { localStandardisationVector } from './standardisation-release.ts';
import { isValidationRecord } from './validation-split.ts';

/**
 * The node's side of the own-model check (docs/models.md §6 "Against each node's own model"):
 * a logistic regression on this node's training customers alone (its own exact
 * standardisation, the spec's features and l2, Newton to convergence: what the node would get
 * without the federation), and the exact AUC of it and of the federated model on this node's
 * validation customers. Everything here stays at the node (its ledger); only the bit `better`
 * leaves it, in the check round's noised slot (protocol own-model-check.ts).
 */

export interface OwnModel {
  encoding: EncodedFeature[];
  weights: Float64Array;
}

export interface OwnModelComparison {
  /** Exact AUC on this node's validation customers. */
  ownAuc: number;
  federatedAuc: number;
  /** ownAuc - federatedAuc, and its DeLong standard error (paired: same customers). */
  difference: number;
  differenceSe: number;
  margin: number;
  /** The answer this node releases (noised): difference - 1.645 se > margin. */
  better: boolean;
  trainingRows: number;
  validationPositives: number;
  validationNegatives: number;
  /** Why no comparison was made (then `better` is false and the AUCs are NaN), or null. */
  notCompared: string | null;
}

function isPositive(spec: TrainSpec, row: RawRow): boolean {
  const v = row[spec.label.column];
  return v !== null && v !== undefined && String(v) === spec.label.positive;
}

/** Splits the node's rows as every round does (keyed hash of the id and the job's seed). */
export function splitValidation(
  spec: TrainSpec,
  rows: Iterable<TrainingRow>
): { training: TrainingRow[]; validation: TrainingRow[] } {
  const training: TrainingRow[] = [];
  const validation: TrainingRow[] = [];
  for (const r of rows)
    (isValidationRecord(r.customerId, spec.validation.fraction, spec.validation.seed)
      ? validation
      : training
    ).push(r);
  return { training, validation };
}

/**
 * The model this node would fit alone. A tiny ridge stands in for l2 = 0 so a column constant
 * at this node (a category it never sees) cannot make the Newton system singular.
 */
export function fitOwnModel(spec: TrainSpec, training: readonly TrainingRow[]): OwnModel {
  const { layout, values } = localStandardisationVector(spec, training);
  const encoding = encodingOf(spec, standardisationFromAggregate(spec, layout, values));
  const weights = fitPooledLogistic(
    training.map((r) => encodeRow(encoding, r.values)),
    training.map((r) => (isPositive(spec, r.values) ? 1 : 0)),
    Math.max(spec.l2, 1e-6)
  );
  return { encoding, weights };
}

function scores(
  encoding: readonly EncodedFeature[],
  w: Float64Array,
  rows: readonly TrainingRow[]
): number[] {
  return rows.map((r) => linearScore(w, encodeRow(encoding, r.values)));
}

/** Compares `own` with the federated `model` on the node's validation customers. */
export function compareWithOwnModel(
  spec: TrainSpec,
  model: Model,
  own: OwnModel,
  split: { training: readonly TrainingRow[]; validation: readonly TrainingRow[] }
): OwnModelComparison {
  const margin = spec.ownModelCheck?.margin ?? OWN_MODEL_MARGIN;
  const labels = split.validation.map((r) => isPositive(spec, r.values));
  const positives = labels.filter(Boolean).length;
  const base = {
    margin,
    trainingRows: split.training.length,
    validationPositives: positives,
    validationNegatives: labels.length - positives,
  };
  const none = (why: string): OwnModelComparison => ({
    ...base,
    ownAuc: Number.NaN,
    federatedAuc: Number.NaN,
    difference: Number.NaN,
    differenceSe: Number.NaN,
    better: false,
    notCompared: why,
  });
  if (split.training.length < 2) return none('fewer than two training customers');
  if (positives < 2 || labels.length - positives < 2)
    return none('fewer than two validation customers of a label');
  if (!own.weights.every(Number.isFinite)) return none('the own model did not converge');
  const c = pairedAucComparison(
    scores(own.encoding, own.weights, split.validation),
    scores(model.encoding, modelVector(model), split.validation),
    labels
  );
  return {
    ...base,
    ownAuc: c.aucA,
    federatedAuc: c.aucB,
    difference: c.difference,
    differenceSe: c.differenceSe,
    better: c.difference - OWN_MODEL_CONFIDENCE_Z * c.differenceSe > margin,
    notCompared: null,
  };
}

/** The whole check at a node: split, fit alone, compare. */
export function ownModelComparison(
  spec: TrainSpec,
  model: Model,
  rows: Iterable<TrainingRow>
): OwnModelComparison {
  const split = splitValidation(spec, rows);
  return compareWithOwnModel(spec, model, fitOwnModel(spec, split.training), split);
}

/** The check round's exact vector: [1] if this node's own model did better, else [0]. */
export function ownModelCheckVector(c: OwnModelComparison): bigint[] {
  return [c.better ? 1n : 0n];
}
