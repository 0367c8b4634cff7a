import { z } from 'zod';
import { EpsilonSchema, Hash256Schema, IsoDateSchema } from '../schemas/common.ts';
import {
  CLV_DEFAULT_CLIP,
  CLV_DIM,
  clvEpsilonPlan,
  clvRoundLayout,
  type ClvClip,
  type ClvModelName,
  type ClvRoundLayout,
} from './federated-layout.ts';

/**
 * The `clv` job kind (docs/clv.md "The clv job"): the federated BG/NBD + Gamma-Gamma fit run as
 * rounds of encrypted, securely aggregated vectors, like a `train` job. Rounds 0 .. B-1 are the
 * BG/NBD Newton rounds, B .. B+G-1 the Gamma-Gamma ones; each starts at the parameters the
 * coordinator published after the round before (theta = 0 for the first of each model), which
 * the round query carries, so a node derives the public layout itself and checks its hash.
 */

/**
 * Default rounds: without noise BG/NBD converges from theta = 0 in 5 rounds and Gamma-Gamma from
 * its start round (federated-step.ts clvStartTheta) in 5 Newton rounds (CDNOW); BG/NBD has one
 * spare. Under zCDP each extra round costs sqrt of the noise.
 */
export const CLV_DEFAULT_ROUNDS: Record<ClvModelName, number> = { bgnbd: 6, 'gamma-gamma': 6 };

const ClipSchema = z
  .object({
    gradient: z.number().finite().positive(),
    information: z.number().finite().positive(),
    loglik: z.number().finite().positive(),
  })
  .strict();

export const ClvFitSpecSchema = z
  .object({
    /**
     * Last day of the calibration period: each node summarises its customers' purchases up to
     * and including it (frequency, recency, age T, mean repeat spend).
     */
    calibrationEnd: IsoDateSchema,
    /** Total epsilon each node spends on the whole fit (2/3 BG/NBD, 1/3 Gamma-Gamma). */
    epsilon: EpsilonSchema.default(1),
    /** Days per model time unit (7: weeks, as the CDNOW reference fit). */
    daysPerUnit: z.number().int().min(1).max(366).default(7),
    rounds: z
      .object({
        bgnbd: z.number().int().min(1).max(30).default(CLV_DEFAULT_ROUNDS.bgnbd),
        // The start round plus at least one Newton round (federated-layout.ts isClvStartRound).
        gammaGamma: z.number().int().min(2).max(30).default(CLV_DEFAULT_ROUNDS['gamma-gamma']),
      })
      .strict()
      .default({
        bgnbd: CLV_DEFAULT_ROUNDS.bgnbd,
        gammaGamma: CLV_DEFAULT_ROUNDS['gamma-gamma'],
      }),
    /** Per-customer clipping bounds (federated-layout.ts CLV_DEFAULT_CLIP when absent). */
    clip: z.object({ bgnbd: ClipSchema, gammaGamma: ClipSchema }).partial().strict().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    try {
      clvEpsilonPlan({
        epsilon: s.epsilon,
        bgnbdRounds: s.rounds.bgnbd,
        gammaGammaRounds: s.rounds.gammaGamma,
      });
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['epsilon'],
        message: err instanceof Error ? err.message : String(err),
      });
    }
  });
export type ClvFitSpec = z.infer<typeof ClvFitSpecSchema>;
export type ClvFitSpecInput = z.input<typeof ClvFitSpecSchema>;

/** One round of a `clv` job as a node receives it. `epsilon` is what the round charges a node. */
export const ClvRoundQuerySchema = z.object({
  kind: z.literal('clv_round'),
  name: z.string().min(1).max(200),
  purpose: z.literal('model_training'),
  epsilon: EpsilonSchema,
  clv: ClvFitSpecSchema,
  model: z.enum(['bgnbd', 'gamma-gamma']),
  /** The round's index within its model's rounds (0 for the first). */
  step: z.number().int().min(0).max(29),
  /** Log-parameters the round is computed at (4 for BG/NBD, 3 for Gamma-Gamma). */
  theta: z.array(z.number().finite().min(-50).max(50)).min(3).max(4),
  layoutHash: Hash256Schema,
});
export type ClvRoundQuery = z.infer<typeof ClvRoundQuerySchema>;

export function clvRoundCount(fit: ClvFitSpec): number {
  return fit.rounds.bgnbd + fit.rounds.gammaGamma;
}

/** Which model and step job round `round` is. */
export function clvRoundPosition(
  fit: ClvFitSpec,
  round: number
): { model: ClvModelName; step: number } {
  if (!Number.isInteger(round) || round < 0 || round >= clvRoundCount(fit))
    throw new RangeError(`a clv job has rounds 0..${clvRoundCount(fit) - 1}, not ${round}`);
  return round < fit.rounds.bgnbd
    ? { model: 'bgnbd', step: round }
    : { model: 'gamma-gamma', step: round - fit.rounds.bgnbd };
}

export function clvClipOf(fit: ClvFitSpec, model: ClvModelName): ClvClip {
  const own = model === 'bgnbd' ? fit.clip?.bgnbd : fit.clip?.gammaGamma;
  return own ?? CLV_DEFAULT_CLIP[model];
}

/** The epsilon share (micro) of each round of `model`. */
export function clvRoundEpsilonMicro(fit: ClvFitSpec, model: ClvModelName): number {
  const plan = clvEpsilonPlan({
    epsilon: fit.epsilon,
    bgnbdRounds: fit.rounds.bgnbd,
    gammaGammaRounds: fit.rounds.gammaGamma,
  });
  return model === 'bgnbd' ? plan.bgnbdRoundMicro : plan.gammaGammaRoundMicro;
}

/** The public layout of a clv round query, as node and coordinator both derive it. */
export function clvQueryLayout(
  q: Pick<ClvRoundQuery, 'clv' | 'model' | 'step'> & { theta: readonly number[] }
): ClvRoundLayout {
  return clvRoundLayout({
    model: q.model,
    theta: q.theta,
    clip: clvClipOf(q.clv, q.model),
    round: q.step,
    roundEpsilonMicro: clvRoundEpsilonMicro(q.clv, q.model),
  });
}

/**
 * The query of job round `round`, at `theta` (null: the first round of its model, theta = 0).
 */
export function clvRoundQuery(
  jobName: string,
  fit: ClvFitSpec,
  round: number,
  theta: readonly number[] | null
): { query: ClvRoundQuery; layout: ClvRoundLayout } {
  const { model, step } = clvRoundPosition(fit, round);
  const at = theta ?? new Array<number>(CLV_DIM[model]).fill(0);
  const layout = clvQueryLayout({ clv: fit, model, step, theta: at });
  const label = model === 'bgnbd' ? 'BG/NBD' : 'Gamma-Gamma';
  const query = ClvRoundQuerySchema.parse({
    kind: 'clv_round',
    name: `${jobName.slice(0, 160)}: ${label} round ${step + 1}`,
    purpose: 'model_training',
    epsilon: clvRoundEpsilonMicro(fit, model) / 1e6,
    clv: fit,
    model,
    step,
    theta: [...at],
    layoutHash: layout.hash,
  });
  return { query, layout };
}

/** The job's whole epsilon per node, as the rounds charge it (flooring leaves < 1e-6 a round). */
export function clvJobEpsilonMicro(fit: ClvFitSpec): number {
  return (
    clvRoundEpsilonMicro(fit, 'bgnbd') * fit.rounds.bgnbd +
    clvRoundEpsilonMicro(fit, 'gamma-gamma') * fit.rounds.gammaGamma
  );
}
