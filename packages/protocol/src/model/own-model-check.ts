import { z } from 'zod';
import { canonicalHash } from '../hashing.ts';
import { epsilonToMicro } from '../schemas/common.ts';
import { LOCAL_LAPLACE, type Mechanism, type RoundNoise } from '../dp/mechanism.ts';
import type { TrainSpec } from './train-spec.ts';

/**
 * The own-model check of a train job (docs/models.md §6 "Against each node's own model"), opt in
 * with `train.ownModelCheck`. After the last optimiser round the job runs one more round, phase
 * `check`, whose query carries the final model. Each node fits a model on its own training
 * customers alone, compares both on its own validation customers (exact AUCs, kept in its
 * ledger), and releases one slot: 1 if its own model is better by more than the margin at 95%
 * one-sided confidence, else 0.
 *
 * Privacy (docs/privacy.md "What a release guarantees"): the own model depends on every training
 * customer, so its scores or AUC have no useful sensitivity bound; the bit does. Adding or
 * removing one customer of a node changes that node's bit by at most 1 and no other node's, so
 * the count has L1 sensitivity 1 whatever the bit is computed from. It is released as any count
 * is, with discrete Laplace noise of scale 1/epsilon (pure epsilon-DP), never the Gaussian: one
 * slot, where the Laplace has far less noise at equal epsilon (docs/privacy.md "Which to choose").
 * Under secure aggregation each node adds a Polya share (the sum of the threshold's shares is the
 * central discrete Laplace); a job that trusts no aggregation (`local-laplace`) adds a full draw
 * per node. The charge is pure epsilon on top of the job's training epsilon (basic composition:
 * (epsilon + check epsilon, delta) for a Gaussian job).
 */

/** The one block of the check round: the node's bit. */
export const OWN_MODEL_BLOCK = 'own_better';

/** z of a one-sided 95% bound: an own model counts as better when diff - z se > margin. */
export const OWN_MODEL_CONFIDENCE_Z = 1.645;

export interface OwnModelCheckLayout {
  blocks: [
    {
      name: typeof OWN_MODEL_BLOCK;
      offset: 0;
      length: 1;
      scale: 1;
      sensitivity: 1n;
      epsilonMicro: number;
    },
  ];
  length: 1;
  /** The check's epsilon, charged at each node. */
  epsilonMicro: number;
  hash: string;
}

function checkOf(spec: TrainSpec): NonNullable<TrainSpec['ownModelCheck']> {
  if (spec.ownModelCheck === undefined)
    throw new RangeError('this train spec has no ownModelCheck');
  return spec.ownModelCheck;
}

/** The public layout of the check round: one slot of sensitivity 1 at the check's epsilon. */
export function ownModelCheckLayout(spec: TrainSpec): OwnModelCheckLayout {
  const check = checkOf(spec);
  const epsilonMicro = epsilonToMicro(check.epsilon);
  const block = {
    name: OWN_MODEL_BLOCK,
    offset: 0,
    length: 1,
    scale: 1,
    sensitivity: 1n,
    epsilonMicro,
  } as const;
  const hash = canonicalHash('train-check-layout', {
    margin: check.margin,
    blocks: [{ ...block }],
  });
  return { blocks: [block], length: 1, epsilonMicro, hash };
}

/** Rounds a train job runs: standardisation, the optimiser rounds, and the check if asked. */
export function trainRoundCount(spec: TrainSpec): number {
  return 1 + spec.rounds + (spec.ownModelCheck === undefined ? 0 : 1);
}

/** The check round's number (the one after the last optimiser round), or null without a check. */
export function ownModelCheckRound(spec: TrainSpec): number | null {
  return spec.ownModelCheck === undefined ? null : spec.rounds + 1;
}

/**
 * The check round's noise for a job with `mechanism`: Laplace, of the job's trust model. Polya
 * shares sized for the secure-aggregation threshold unless the job adds local noise.
 */
export function ownModelCheckNoise(mechanism: Mechanism, threshold: number): RoundNoise {
  return mechanism === 'local-laplace'
    ? LOCAL_LAPLACE
    : { mechanism: 'distributed-laplace', contributors: threshold };
}

/** What the published model says about the check (training.ownModelCheck). */
export const OwnModelCheckRecordSchema = z.object({
  /** Epsilon each contributing node spent on its answer (pure DP, on top of the training's). */
  epsilonPerNode: z.number().positive(),
  margin: z.number().min(0),
  /** Nodes whose answer is in the count. */
  nodes: z.number().int().min(0),
  /** The released count of nodes whose own model did better, noise included (an integer). */
  count: z.number().int(),
  /** Standard deviation of the noise in `count` (0 without noise: test only). */
  noiseStd: z.number().min(0),
  /** P(count >= 1) were no node's own model better: how often the warning is a false alarm. */
  falseAlarm: z.number().min(0).max(1),
});
export type OwnModelCheckRecord = z.infer<typeof OwnModelCheckRecordSchema>;

/**
 * P(X - Y >= atLeast) for independent X, Y ~ NegativeBinomial(r, a) (pmf Γ(k+r)/(Γ(r) k!)
 * (1-a)^r a^k): the sum of n Polya shares each sized for T is such a difference with r = n/T,
 * and n full discrete Laplace draws one with r = n (docs/privacy.md "Distributed noise"). With
 * the default 1 it is how often noise alone shows a count of 1 or more; 1 - k gives how often
 * a true count k shows as 1 or more. Float arithmetic: a reported figure, never a sampler.
 */
export function noisyCountExceedance(r: number, a: number, atLeast = 1): number {
  if (!(r > 0) || !(a >= 0 && a < 1)) throw new RangeError(`expected r > 0 and a in [0, 1)`);
  if (!Number.isSafeInteger(atLeast)) throw new RangeError(`"atLeast" expected an integer`);
  // The difference is symmetric: P(D >= t) = 1 - P(D >= 1 - t).
  if (atLeast < 1) return 1 - noisyCountExceedance(r, a, 1 - atLeast);
  const pmf: number[] = [];
  let p = (1 - a) ** r;
  let mass = 0;
  for (let k = 0; mass < 1 - 1e-15 && k < 100_000; k++) {
    pmf.push(p);
    mass += p;
    p *= (a * (k + r)) / (k + 1);
  }
  // Sum over y of P(Y = y) P(X >= y + atLeast), with the tail of X built from the top down.
  const tailFrom = new Array<number>(pmf.length + 1).fill(0);
  for (let x = pmf.length - 1; x >= 0; x--)
    tailFrom[x] = (tailFrom[x + 1] as number) + (pmf[x] as number);
  let out = 0;
  for (let y = 0; y + atLeast < pmf.length; y++)
    out += (pmf[y] as number) * (tailFrom[y + atLeast] as number);
  return Math.min(1, Math.max(0, out));
}

/**
 * The check's record from the round's summed slot: `contributors` answers, the noise they
 * added (`noise`, or none in a test-only run). Post-processing of the released count.
 */
export function ownModelCheckRecord(
  spec: TrainSpec,
  agg: { value: bigint; contributors: number; noise: RoundNoise; noiseOn: boolean }
): OwnModelCheckRecord {
  const check = checkOf(spec);
  const base = {
    epsilonPerNode: check.epsilon,
    margin: check.margin,
    nodes: agg.contributors,
    count: Number(agg.value),
  };
  if (!agg.noiseOn || agg.contributors === 0) return { ...base, noiseStd: 0, falseAlarm: 0 };
  if (agg.noise.mechanism === 'distributed-gaussian')
    throw new RangeError('the own-model check is never noised with the Gaussian');
  const a = Math.exp(-check.epsilon);
  const r =
    agg.noise.mechanism === 'distributed-laplace'
      ? agg.contributors / agg.noise.contributors
      : agg.contributors;
  // Each NegativeBinomial(r, a) has variance r a / (1 - a)^2; the difference twice that.
  const variance = (2 * r * a) / (1 - a) ** 2;
  return { ...base, noiseStd: Math.sqrt(variance), falseAlarm: noisyCountExceedance(r, a) };
}
