import { canonicalHash } from '../hashing.ts';
import { epsilonToMicro } from '../schemas/common.ts';
import type { FixedPointBlock } from '../model/round-layout.ts';

/**
 * The public layout of one node's release in one round of the federated CLV fit (docs/clv.md
 * "Federation"). Like the training round layouts (model/round-layout.ts) every slot is a fixed-
 * point integer, each customer's terms are rounded before summing, so the sum over nodes is the
 * pooled vector exactly, and every bound below is per customer (user-level DP: one summary row
 * per customer). Everything is derived from the public round spec, so nodes and coordinator
 * compute the same layout and hash.
 */

export type ClvModelName = 'bgnbd' | 'gamma-gamma';
export type ClvBlockName = 'count' | 'loglik' | 'gradient' | 'information' | 'logspend';

export interface ClvClip {
  /** L2 clip of one customer's gradient (log-parameter units). */
  gradient: number;
  /** Frobenius clip of one customer's information matrix. */
  information: number;
  /** One customer's log-likelihood is clamped to [-loglik, loglik]. */
  loglik: number;
}

/**
 * Provisional defaults, measured on the CDNOW sample only (docs/clv.md "Federation"). BG/NBD: per-
 * customer gradient norms at the pooled optimum have median 0.57, p99 2.18, max 10.2; along the
 * no-noise path up to 20.7 far from the optimum; information Frobenius norms p99 1.74 (max 9.4 on
 * the path). Clip 3 / 2 beat 11 / 6 at epsilon 1 (r median 0.27 against 0.37 over 8 runs): the
 * noise falls with the clip faster than the bias of the few clipped customers grows.
 * Gamma-Gamma: gradient p99 7.65, information p99 13.45 at the optimum; clips not tuned under
 * noise (its start round, LOG_SPEND_CLIP below, is what made it usable there).
 * Log-likelihoods: BG/NBD per customer in [-56, 1] along the path, Gamma-Gamma in [-16, -2].
 */
export const CLV_DEFAULT_CLIP: Record<ClvModelName, ClvClip> = {
  bgnbd: { gradient: 3, information: 2, loglik: 60 },
  'gamma-gamma': { gradient: 8, information: 14, loglik: 20 },
};

export const CLV_DIM: Record<ClvModelName, number> = { bgnbd: 4, 'gamma-gamma': 3 };

/** Block weights inside a round, as the training Newton rounds (ROUND_EPSILON_WEIGHTS). */
export const CLV_BLOCK_WEIGHTS: Record<ClvBlockName, number> = {
  count: 1,
  loglik: 2,
  gradient: 16,
  information: 16,
  logspend: 16,
};

/**
 * Gamma-Gamma's first round is a start round, not a Newton step: it releases only the count and
 * the sum of ln(mean repeat spend) of the customers with a repeat purchase, each clamped to
 * [-LOG_SPEND_CLIP, LOG_SPEND_CLIP] (e^12 = 160,000 a transaction: room for any currency), and
 * the coordinator starts the Newton rounds from clvStartTheta (federated-step.ts). Measured on
 * CDNOW at epsilon 1 (20 runs): from theta = 0 (q = 1, where the mean spend p v / (q - 1) is
 * infinite) the noise-floored Newton steps stayed near q = 1 (median q 0.84, 15 of 20 fits with
 * q <= 1 and so no finite mean spend); from a start at the data's spend scale none did.
 */
export const LOG_SPEND_CLIP = 12;

/** Whether step `step` of `model` is the start round (Gamma-Gamma's first). */
export function isClvStartRound(model: ClvModelName, step: number): boolean {
  return model === 'gamma-gamma' && step === 0;
}

/** The 1-based Newton round that step `step` of `model` is (0 for the start round). */
export function clvNewtonRound(model: ClvModelName, step: number): number {
  return model === 'gamma-gamma' ? step : step + 1;
}

/**
 * 2^24 units for the clip: rounding adds at most 1/2 unit per customer and slot, and the
 * noise-free iterates jitter by that rounding around the optimum; at 2^20 and 2^22 they moved
 * by up to 1.5e-6 relative from the pooled fit on CDNOW (weak information eigenvalues 7.4 and
 * 9.0), at 2^24 they stay within 1e-6. A slot holds at most n x 2^24 in absolute value: 3 x 10^4
 * customers per node under the 40-bit plaintext modulus (he/params.ts), 6 x 10^10 under 60 bits;
 * a `clv` job kind must choose the HE parameters (or fewer bits) by the node sizes.
 */
const SCALE_BITS = 24;

export interface ClvRoundSpec {
  model: ClvModelName;
  theta: readonly number[];
  clip: ClvClip;
  round: number;
  /** The epsilon share of this round, micro-epsilon (clvEpsilonPlan). */
  roundEpsilonMicro: number;
}

export type ClvBlock = FixedPointBlock<ClvBlockName>;

export interface ClvRoundLayout {
  spec: ClvRoundSpec;
  blocks: ClvBlock[];
  length: number;
  hash: string;
}

export function clvScale(clip: number): number {
  return Math.max(1, Math.floor(2 ** SCALE_BITS / clip));
}

/**
 * Sensitivities (adding or removing one customer, slot units), m = d(d+1)/2:
 * - count 1; loglik ceil(L s + 1/2) (the clamp, plus rounding);
 * - gradient: L2 <= Cg s + sqrt(d)/2 (clip plus rounding per slot), L1 <= sqrt(d) of that;
 * - information: the upper triangle of a matrix has L2 norm at most its Frobenius norm, so L2 <=
 *   Ch s + sqrt(m)/2 and L1 <= sqrt(m) Ch s + m/2.
 */
export function clvRoundLayout(spec: ClvRoundSpec): ClvRoundLayout {
  const d = CLV_DIM[spec.model];
  if (spec.theta.length !== d || !spec.theta.every(Number.isFinite))
    throw new RangeError(`"theta" expected ${d} finite numbers for ${spec.model}`);
  const m = (d * (d + 1)) / 2;
  const { clip } = spec;
  const sl = clvScale(clip.loglik);
  const sg = clvScale(clip.gradient);
  const sh = clvScale(clip.information);
  const count = { name: 'count', length: 1, scale: 1, sensitivity: 1n } as const;
  const ss = clvScale(LOG_SPEND_CLIP);
  const draft: Omit<ClvBlock, 'offset' | 'epsilonMicro'>[] = isClvStartRound(spec.model, spec.round)
    ? [
        count,
        {
          name: 'logspend',
          length: 1,
          scale: ss,
          sensitivity: BigInt(Math.ceil(LOG_SPEND_CLIP * ss + 0.5)),
        },
      ]
    : [
        count,
        {
          name: 'loglik',
          length: 1,
          scale: sl,
          sensitivity: BigInt(Math.ceil(clip.loglik * sl + 0.5)),
        },
        {
          name: 'gradient',
          length: d,
          scale: sg,
          sensitivity: BigInt(Math.ceil(Math.sqrt(d) * clip.gradient * sg + d / 2)),
          l2Sensitivity: BigInt(Math.ceil(clip.gradient * sg + Math.sqrt(d) / 2)),
        },
        {
          name: 'information',
          length: m,
          scale: sh,
          sensitivity: BigInt(Math.ceil(Math.sqrt(m) * clip.information * sh + m / 2)),
          l2Sensitivity: BigInt(Math.ceil(clip.information * sh + Math.sqrt(m) / 2)),
        },
      ];
  const total = draft.reduce((s, b) => s + CLV_BLOCK_WEIGHTS[b.name], 0);
  const shares = draft.map((b) =>
    Math.floor((spec.roundEpsilonMicro * CLV_BLOCK_WEIGHTS[b.name]) / total)
  );
  // The flooring remainder goes to the gradient (to logspend in a start round): the shares sum
  // exactly to the round's epsilon.
  const rest = draft.length === 2 ? 1 : 2;
  shares[rest] =
    (shares[rest] as number) + spec.roundEpsilonMicro - shares.reduce((s, x) => s + x, 0);
  let offset = 0;
  const blocks = draft.map((b, i) => {
    const out = { ...b, offset, epsilonMicro: shares[i] as number };
    offset += b.length;
    return out;
  });
  const hash = canonicalHash('clv-round-layout', {
    model: spec.model,
    round: spec.round,
    theta: spec.theta.map((v) => v.toString()),
    blocks: blocks.map((b) => ({ ...b })),
  });
  return { spec, blocks, length: offset, hash };
}

export function clvBlock(layout: ClvRoundLayout, name: ClvBlockName): ClvBlock {
  const b = layout.blocks.find((x) => x.name === name);
  if (!b) throw new RangeError(`CLV layout lacks block ${name}`);
  return b;
}

/** Share of the job's epsilon spent on BG/NBD rounds; the rest goes to Gamma-Gamma (not tuned). */
export const BGNBD_EPSILON_SHARE = 2 / 3;

export interface ClvEpsilonPlan {
  totalMicro: number;
  bgnbdRoundMicro: number;
  gammaGammaRoundMicro: number;
}

/**
 * The job's epsilon over the rounds, in micro-epsilon as trainEpsilonPlan. Under the distributed
 * Gaussian the job's (epsilon, delta) is one rho (dp/mechanism.ts rhoOfShare, the job's epsilon
 * as the unit) and each block's epsilon share is the same share of that rho, so rhos add up over
 * rounds (zCDP composition). Flooring leaves at most one micro-epsilon a round unspent.
 */
export function clvEpsilonPlan(o: {
  epsilon: number;
  bgnbdRounds: number;
  gammaGammaRounds: number;
}): ClvEpsilonPlan {
  const totalMicro = epsilonToMicro(o.epsilon);
  const bg = Math.floor(totalMicro * BGNBD_EPSILON_SHARE);
  const plan = {
    totalMicro,
    bgnbdRoundMicro: Math.floor(bg / o.bgnbdRounds),
    gammaGammaRoundMicro: Math.floor((totalMicro - bg) / o.gammaGammaRounds),
  };
  if (plan.bgnbdRoundMicro < 100 || plan.gammaGammaRoundMicro < 100)
    throw new RangeError(`epsilon ${o.epsilon} is too small for the CLV rounds`);
  return plan;
}
