import { z } from 'zod';
import { ProtocolError } from '../errors.ts';
import { EpsilonSchema } from '../schemas/common.ts';

/**
 * The `train` job spec: a binary propensity model (logistic regression) on one generic feature
 * table (docs/models.md §1). Everything a node needs to compute its contribution is in here and
 * public: the encoding (clipping bounds, declared categories), the clipping norm, the rounds and
 * the total epsilon, so every node derives the same vector layout for every round
 * (round-layout.ts).
 */

/**
 * Default margin of the own-model check: an own model counts as better only when its AUC beats
 * the federated model's by more than this at 95% one-sided confidence (docs/models.md §6), so a
 * difference within the AUC's third decimal (the spread of §11's repeated runs) never counts.
 */
export const OWN_MODEL_MARGIN = 0.005;

/** Extra one-hot cell after the declared categories: undeclared or missing values. */
export const OTHER_CATEGORY = '__other__';

/** Column names as the segment-query field grammar allows them inside `table.<t>.<column>`. */
const ColumnSchema = z
  .string()
  .min(1, 'column name is empty')
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, 'column names may contain letters, digits, _ and - only');

export const NumericFeatureSchema = z
  .object({
    type: z.literal('numeric'),
    column: ColumnSchema,
    /** Clipping bounds, in the column's unit: values are clamped into [lower, upper] first. */
    lower: z
      .number({ error: 'numeric feature needs finite clipping bounds "lower" and "upper"' })
      .finite(),
    upper: z
      .number({ error: 'numeric feature needs finite clipping bounds "lower" and "upper"' })
      .finite(),
  })
  .refine((f) => f.upper > f.lower, {
    message: 'upper must be greater than lower',
    path: ['upper'],
  });

export const CategoricalFeatureSchema = z.object({
  type: z.literal('categorical'),
  column: ColumnSchema,
  /** Declared categories, one one-hot cell each; `__other__` is always added after them. */
  categories: z
    .array(z.string().min(1, 'a category may not be empty').max(100), {
      error: 'categorical feature needs a "categories" list',
    })
    .min(1, 'category list is empty: declare at least one category')
    .max(200),
});

export const FeatureSpecSchema = z.discriminatedUnion(
  'type',
  [NumericFeatureSchema, CategoricalFeatureSchema],
  {
    error: 'feature "type" must be "numeric" or "categorical"',
  }
);
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;
export type NumericFeatureSpec = z.infer<typeof NumericFeatureSchema>;
export type CategoricalFeatureSpec = z.infer<typeof CategoricalFeatureSchema>;

export const OptimiserSchema = z.discriminatedUnion('kind', [
  z.object({
    /** Full Newton steps from the DP Hessian X^T W X (W = p(1-p) <= 1/4) and the DP gradient. */
    kind: z.literal('newton'),
  }),
  z.object({
    /**
     * Heavy-ball gradient ascent on the mean log-likelihood: v = momentum*v + lr*g/n, w += v,
     * with n the noisy training count of the round.
     */
    kind: z.literal('gd'),
    learningRate: z.number().positive().max(100),
    momentum: z.number().min(0).max(0.99).default(0.5),
  }),
  z.object({
    /**
     * Heavy ball with a diagonal (Jacobi) preconditioner from the DP diagonal of the Hessian:
     * each coordinate steps by max(learningRate / n, diagonalRate / D_j) times its gradient,
     * D_j the noisy curvature floored at its noise (docs/models.md §5). Never slower than gd
     * with `learningRate`; faster on badly scaled columns (rare categories).
     */
    kind: z.literal('diagonal'),
    learningRate: z.number().positive().max(100).default(4),
    diagonalRate: z.number().positive().max(10).default(0.75),
    momentum: z.number().min(0).max(0.99).default(0.5),
  }),
]);
export type Optimiser = z.infer<typeof OptimiserSchema>;

export const TrainSpecSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('train'),
    name: z.string().min(1).max(200).default('propensity model'),
    /**
     * Only customers with `model_training` consent in force are read
     * (docs/node-data.md "Consent semantics").
     */
    purpose: z.literal('model_training', {
      error: 'purpose of a train job must be "model_training"',
    }),
    table: ColumnSchema,
    idColumn: ColumnSchema.optional(),
    label: z.object({ column: ColumnSchema, positive: z.string().min(1).max(100) }),
    features: z.array(FeatureSpecSchema).min(1, 'declare at least one feature').max(200),
    /**
     * Defaults: the recommended settings (docs/models.md §5: diagonal, 6 rounds, lr 4, diagonal
     * rate 0.75, momentum 0.5, clip 1), chosen under the distributed Gaussian default on
     * wa_churn and South German credit only.
     */
    rounds: z.number().int().min(1).max(100).default(6),
    optimiser: OptimiserSchema.default({
      kind: 'diagonal',
      learningRate: 4,
      diagonalRate: 0.75,
      momentum: 0.5,
    }),
    /** L2 bound on each record's gradient (x-space, residual in [-1,1]): user-level contribution bound. */
    clipNorm: z.number().positive().max(1000).default(1),
    /** L2 penalty lambda/2 * |w|^2 on the non-intercept weights, in log-likelihood units (sklearn C = 1/lambda). */
    l2: z.number().min(0).max(1e6).default(1),
    /**
     * Per-record log-loss is clipped to [0, lossClip] before the noisy loss sum (reporting only).
     * 3 = a probability of 5% for the true label: rarer than that is noise, and the loss's
     * sensitivity (hence its noise) grows with the clip.
     */
    lossClip: z.number().positive().max(100).default(3),
    /** Total epsilon each node spends on the whole job (standardisation phase + all rounds). */
    epsilon: EpsilonSchema,
    minNodes: z
      .number()
      .int()
      .min(3, 'minNodes must be at least 3: fewer would expose a single node')
      .max(1000)
      .default(3),
    /** Local validation split (by keyed hash of the customer id) for federated evaluation. */
    validation: z
      .object({
        fraction: z.number().min(0).max(0.5).default(0.2),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31)
          .default(0),
      })
      .default({ fraction: 0.2, seed: 0 }),
    /**
     * Opt-in: after the last round each node compares the federated model with a model fitted
     * on its own training customers alone, on its own validation customers, and answers one bit
     * in an extra round at `epsilon` (pure DP, charged on top of `epsilon` above; the count of
     * answers carries discrete Laplace noise). docs/models.md §6 "Against each node's own model".
     */
    ownModelCheck: z
      .object({
        epsilon: EpsilonSchema,
        /** AUC the own model must beat the federated one by, at 95% one-sided confidence. */
        margin: z.number().min(0).max(0.5).default(OWN_MODEL_MARGIN),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.ownModelCheck !== undefined && s.validation.fraction <= 0)
      ctx.addIssue({
        code: 'custom',
        path: ['ownModelCheck'],
        message:
          'the own-model check compares on validation customers: set validation.fraction above 0',
      });
    const seen = new Map<string, string>();
    const claim = (column: string, what: string, path: (string | number)[]): void => {
      const prior = seen.get(column);
      if (prior !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `column "${column}" is used twice (${prior} and ${what})`,
        });
      }
      seen.set(column, what);
    };
    claim(s.label.column, 'label', ['label', 'column']);
    if (s.idColumn !== undefined) claim(s.idColumn, 'idColumn', ['idColumn']);
    s.features.forEach((f, i) => {
      claim(f.column, `features[${i}]`, ['features', i, 'column']);
      if (f.type === 'categorical') {
        const cats = new Set<string>();
        f.categories.forEach((c, j) => {
          if (c === OTHER_CATEGORY) {
            ctx.addIssue({
              code: 'custom',
              path: ['features', i, 'categories', j],
              message: `"${OTHER_CATEGORY}" is added automatically; do not declare it`,
            });
          }
          if (cats.has(c))
            ctx.addIssue({
              code: 'custom',
              path: ['features', i, 'categories', j],
              message: `category "${c}" declared twice`,
            });
          cats.add(c);
        });
      }
    });
  });

export type TrainSpec = z.infer<typeof TrainSpecSchema>;
export type TrainSpecInput = z.input<typeof TrainSpecSchema>;

/** Human-readable zod issues: `features.2.upper: upper must be greater than lower; ...`. */
export function formatIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[]
): string {
  return issues
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Checks that every column the spec names exists in the node's table (`columns`). Throws
 * ProtocolError BAD_REQUEST naming each missing column and where the spec uses it.
 */
export function checkTrainColumns(spec: TrainSpec, columns: readonly string[]): void {
  const have = new Set(columns);
  const uses: [string, string][] = [
    ['label.column', spec.label.column],
    ...(spec.idColumn === undefined ? [] : ([['idColumn', spec.idColumn]] as [string, string][])),
    ...spec.features.map((f, i): [string, string] => [`features.${i}.column`, f.column]),
  ];
  const missing = uses.filter(([, c]) => !have.has(c));
  if (missing.length > 0) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `table "${spec.table}" has no column ${missing.map(([where, c]) => `"${c}" (${where})`).join(', ')}`
    );
  }
}
