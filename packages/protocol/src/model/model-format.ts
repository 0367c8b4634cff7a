import { z } from 'zod';
import {
  EncodedFeatureSchema,
  encodedNames,
  encodeRow,
  type EncodedFeature,
  type RawRow,
} from './feature-encoding.ts';
import { parseJsonFile } from './json-file.ts';
import { OwnModelCheckRecordSchema } from './own-model-check.ts';

/**
 * The model file (`fedmark model export`): self-describing JSON. A scorer needs nothing else:
 * the encoding (bounds, federated means/stds, categories), the intercept and the weights by
 * encoded column name. `training` records how it was made and what it cost in privacy.
 */

export const MODEL_FORMAT = 'fedmark-logistic-model';
export const MODEL_FORMAT_VERSION = 1;

export const RoundRecordSchema = z.object({
  round: z.number().int().min(0),
  /** Mean clipped log-loss of the model published for this round (noisy), or null if unknown. */
  loss: z.number().nullable(),
  /** Validation AUC from the noisy score histograms, or null without a validation split. */
  auc: z.number().min(0).max(1).nullable(),
  /**
   * 95% interval of `auc` with its DP noise and sampling error (aucInterval); null without a
   * validation split, absent in models made before it.
   */
  aucCi95: z
    .tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
    .nullable()
    .optional(),
  /** Noisy training count the round saw. */
  count: z.number(),
  nodes: z.number().int().min(0),
});
export type RoundRecord = z.infer<typeof RoundRecordSchema>;

/** Optimiser state carried between rounds; scoring ignores it. */
export const OptimiserStateSchema = z.object({
  /** Heavy-ball velocity in encoded-column order (gd only). */
  velocity: z.array(z.number().finite()),
});
export type OptimiserState = z.infer<typeof OptimiserStateSchema>;

export const ModelSchema = z
  .object({
    format: z.literal(MODEL_FORMAT, {
      error: `not a model file: "format" must be "${MODEL_FORMAT}"`,
    }),
    formatVersion: z.literal(MODEL_FORMAT_VERSION, {
      error: `unsupported model formatVersion (this build reads ${MODEL_FORMAT_VERSION})`,
    }),
    kind: z.literal('logistic_regression'),
    name: z.string(),
    label: z.object({ column: z.string().min(1), positive: z.string().min(1) }),
    encoding: z.array(EncodedFeatureSchema).min(1),
    intercept: z.number().finite(),
    /** Weight per encoded column name: numeric `col`, one-hot `col=value` (incl. `col=__other__`). */
    weights: z.record(z.string(), z.number().finite()),
    training: z.object({
      jobId: z.string().optional(),
      optimiser: z.string(),
      roundsPlanned: z.number().int().min(0),
      roundsDone: z.number().int().min(0),
      /** Total epsilon each participating node spends on the job (standardisation + rounds). */
      epsilonPerNode: z.number().min(0),
      /** Whether DP noise was added (false only in test-only noise-free runs). */
      noise: z.boolean(),
      nodes: z.array(z.string()),
      history: z.array(RoundRecordSchema),
      state: OptimiserStateSchema.optional(),
      /**
       * The own-model check's outcome (docs/models.md §6), set by the job's check round; absent
       * when the job did not ask for one (or before it published).
       */
      ownModelCheck: OwnModelCheckRecordSchema.optional(),
    }),
  })
  .superRefine((m, ctx) => {
    const names = encodedNames(m.encoding).slice(1);
    for (const n of names) {
      if (!(n in m.weights))
        ctx.addIssue({
          code: 'custom',
          path: ['weights', n],
          message: `missing weight for encoded column "${n}"`,
        });
    }
    for (const n of Object.keys(m.weights)) {
      if (!names.includes(n))
        ctx.addIssue({
          code: 'custom',
          path: ['weights', n],
          message: `weight for unknown column "${n}"`,
        });
    }
    const st = m.training.state;
    if (st && st.velocity.length !== names.length + 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['training', 'state', 'velocity'],
        message: `velocity must have ${names.length + 1} entries`,
      });
    }
  });
export type Model = z.infer<typeof ModelSchema>;

/** The model's coefficients as a vector in encoded-column order (intercept first). */
export function modelVector(model: Model): Float64Array {
  const names = encodedNames(model.encoding);
  return Float64Array.from(
    names.map((n, i) => (i === 0 ? model.intercept : (model.weights[n] as number)))
  );
}

/** A copy of `model` with the coefficients taken from `w` (encoded-column order). */
export function withVector(model: Model, w: ArrayLike<number>): Model {
  const names = encodedNames(model.encoding);
  if (w.length !== names.length)
    throw new RangeError(`"w" expected length ${names.length}, got ${w.length}`);
  const weights: Record<string, number> = {};
  names.forEach((n, i) => {
    if (i > 0) weights[n] = w[i] as number;
  });
  return { ...model, intercept: w[0] as number, weights };
}

/** A zero model (all coefficients 0) for `encoding`. */
export function initialModel(opts: {
  name: string;
  label: { column: string; positive: string };
  encoding: EncodedFeature[];
  optimiser: string;
  roundsPlanned: number;
  epsilonPerNode: number;
  noise: boolean;
  nodes: string[];
  jobId?: string;
}): Model {
  const names = encodedNames(opts.encoding);
  const weights = Object.fromEntries(names.slice(1).map((n) => [n, 0]));
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    kind: 'logistic_regression',
    name: opts.name,
    label: { ...opts.label },
    encoding: opts.encoding,
    intercept: 0,
    weights,
    training: {
      ...(opts.jobId === undefined ? {} : { jobId: opts.jobId }),
      optimiser: opts.optimiser,
      roundsPlanned: opts.roundsPlanned,
      roundsDone: 0,
      epsilonPerNode: opts.epsilonPerNode,
      noise: opts.noise,
      nodes: [...opts.nodes],
      history: [],
    },
  };
}

/** Numerically stable logistic function. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Linear score (log-odds) of an encoded row. */
export function linearScore(w: ArrayLike<number>, x: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < x.length; i++) z += (w[i] as number) * (x[i] as number);
  return z;
}

/** Probability of the positive label for one raw row (CSV text or numbers by column). */
export function scoreRow(model: Model, row: RawRow): number {
  return sigmoid(linearScore(modelVector(model), encodeRow(model.encoding, row)));
}

export function modelToJson(model: Model): string {
  return `${JSON.stringify(ModelSchema.parse(model), null, 2)}\n`;
}

/**
 * Parses and validates a model file. Throws ProtocolError BAD_REQUEST naming the file (`source`),
 * the position for malformed JSON, and the field for a schema violation.
 */
export function modelFromJson(text: string, source = 'model file'): Model {
  return parseJsonFile(ModelSchema, text, source, 'model');
}
