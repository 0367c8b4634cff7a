import type { TrainSpecInput } from './train-spec.ts';

/**
 * Internal test fixture: the smallest train spec with one numeric and one categorical feature
 * (three encoded columns and an intercept), everything else at its default. Tests spread it and
 * set what they are about.
 */
export const SMALL_TRAIN_SPEC: TrainSpecInput = {
  version: 1,
  kind: 'train',
  purpose: 'model_training',
  table: 'customers',
  label: { column: 'churn', positive: 'Yes' },
  features: [
    { type: 'numeric', column: 'tenure', lower: 0, upper: 72 },
    { type: 'categorical', column: 'contract', categories: ['Monthly', 'Yearly'] },
  ],
  epsilon: 1,
};
