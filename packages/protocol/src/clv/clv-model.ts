import { z } from 'zod';
import { parseJsonFile } from '../model/json-file.ts';
import { IsoDateSchema } from '../schemas/common.ts';

/**
 * The CLV model file: fitted BG/NBD and Gamma-Gamma parameters, pooled or federated, with how
 * they were made and what they cost in privacy. A node needs nothing else to compute each of
 * its customers' expected purchases, P(alive) and CLV locally (docs/clv.md "Per-customer").
 */

export const CLV_MODEL_FORMAT = 'fedmark-clv-model';
export const CLV_MODEL_FORMAT_VERSION = 1;

const Positive = z.number().finite().positive();
/** A 95% interval [low, high] of one parameter (noise and sampling), low <= high. */
const Interval = z
  .tuple([Positive, Positive])
  .refine(([lo, hi]) => lo <= hi, 'interval low must not exceed high');

export const ClvModelSchema = z.object({
  format: z.literal(CLV_MODEL_FORMAT, {
    error: `not a CLV model file: "format" must be "${CLV_MODEL_FORMAT}"`,
  }),
  formatVersion: z.literal(CLV_MODEL_FORMAT_VERSION, {
    error: `unsupported CLV model formatVersion (this build reads ${CLV_MODEL_FORMAT_VERSION})`,
  }),
  kind: z.literal('bgnbd_gamma_gamma'),
  name: z.string().min(1).max(200),
  /** Time unit of recency, age and the horizon: days per unit (7 = weeks, as CDNOW). */
  daysPerUnit: z.number().int().min(1).max(366).default(7),
  /** End of the calibration period the fit used (ISO date). */
  calibrationEnd: IsoDateSchema,
  bgnbd: z.object({ r: Positive, alpha: Positive, a: Positive, b: Positive }),
  gammaGamma: z.object({ p: Positive, q: Positive, v: Positive }),
  /** 95% intervals per parameter, when the fit could estimate them. */
  intervals: z
    .object({
      bgnbd: z.object({ r: Interval, alpha: Interval, a: Interval, b: Interval }),
      gammaGamma: z.object({ p: Interval, q: Interval, v: Interval }),
    })
    .optional(),
  fit: z.object({
    /** `pooled`: one data set in one place; `federated`: summed node releases. */
    method: z.enum(['pooled', 'federated']),
    jobId: z.string().optional(),
    nodes: z.array(z.string()),
    /** Newton rounds run (BG/NBD + Gamma-Gamma). */
    rounds: z.number().int().min(0),
    /** Whether DP noise was added (false in pooled fits and test-only noise-free runs). */
    noise: z.boolean(),
    /** Total epsilon each participating node spent (0 without noise). */
    epsilonPerNode: z.number().min(0),
    delta: z.number().min(0).max(1).optional(),
    /** zCDP rho each node spent, when the mechanism is Gaussian. */
    rho: z.number().min(0).optional(),
    /** Noisy customer count the fit saw (BG/NBD). */
    customers: z.number().min(0).optional(),
  }),
});
export type ClvModel = z.infer<typeof ClvModelSchema>;

export function clvModelToJson(model: ClvModel): string {
  return `${JSON.stringify(ClvModelSchema.parse(model), null, 2)}\n`;
}

/**
 * Parses and validates a CLV model file. Throws ProtocolError BAD_REQUEST naming the file
 * (`source`), the position for malformed JSON and the field for a schema violation.
 */
export function clvModelFromJson(text: string, source = 'CLV model file'): ClvModel {
  return parseJsonFile(ClvModelSchema, text, source, 'CLV model');
}
