/**
 * Federated propensity models (logistic regression), the pure core shared by node and
 * coordinator: the `train` job spec, the feature encoding and its federated standardisation,
 * the per-round release layout (fixed point, sensitivities, epsilon shares), the optimiser step
 * on aggregated statistics, AUC, and the self-describing model file.
 *
 * @example
 * import { TrainSpecSchema, modelFromJson, scoreRow } from '@fedmark/protocol';
 * const model = modelFromJson(readFileSync('model.json', 'utf8'), 'model.json');
 * const p = scoreRow(model, { tenure: '12', contract: 'Month-to-month' }); // probability in (0, 1)
 */
export * from './train-spec.ts';
export * from './feature-encoding.ts';
export * from './round-layout.ts';
export * from './standardisation.ts';
export * from './model-format.ts';
export * from './optimiser.ts';
export * from './auc.ts';
export * from './score-csv.ts';
export * from './quality.ts';
export * from './own-model-check.ts';
