import { z } from 'zod';
import { PICO, gaussianSpend, pureSpend, type PrivacySpend } from './spend.ts';
import { distributedGaussianSigma2, rho, rhoForEpsilon, type Rho } from './zcdp.ts';

/**
 * The noise a round carries (docs/privacy.md "Distributed noise"), one definition for the node
 * that adds it and the coordinator that reports it:
 * - `distributed-laplace` (the default of statistics jobs): under secure aggregation, each node
 *   adds a Polya share (the difference of two NegativeBinomial(1/T, a)), so the sum over the
 *   fewest contributors the round can publish, T (the secure-aggregation threshold), is exactly
 *   the central discrete Laplace of the round's epsilon: pure DP at 1/n of local mode's variance.
 * - `distributed-gaussian` (the default of training): each node adds a discrete Gaussian share
 *   sized so the sum over T shares is accounted at the round's rho (Kairouz, Liu, Steinke 2021;
 *   `distributedGaussianSigma2`); rho composes over many rounds far better than pure epsilon.
 * - `local-laplace`: every node adds the whole discrete Laplace noise of its epsilon (pure DP
 *   that needs no trust in the aggregation; n contributors mean n times the central variance).
 * No distributed share is ever released outside secure aggregation: the node's release path
 * refuses that.
 */
export const MECHANISMS = ['distributed-laplace', 'distributed-gaussian', 'local-laplace'] as const;
export const MechanismSchema = z.enum(MECHANISMS);
export type Mechanism = z.infer<typeof MechanismSchema>;

/**
 * delta of the (epsilon, delta) a Gaussian job's epsilon is read at. Default 1e-7: a per-person
 * failure probability well below 1 / (number of customers) for every customer base under ten
 * million (the usual rule, Dwork and Roth 2014 §2.3); bounded by 1e-4.
 */
export const DEFAULT_DELTA = 1e-7;
export const DeltaSchema = z
  .number()
  .gt(0, 'delta must be positive')
  .max(1e-4, 'delta above 1e-4 is not a meaningful privacy guarantee');

/**
 * What a round's noise is, as the node adds it. For the Gaussian: the job's epsilon `unit`
 * (a statistics round's query epsilon, a train job's total epsilon) read at `delta` fixes the
 * unit's rho; each block gets the share of it its epsilon share names; `contributors` is the
 * number of shares whose sum must carry the whole noise (the secure-aggregation threshold).
 */
export type RoundNoise =
  | { mechanism: 'local-laplace' }
  | { mechanism: 'distributed-laplace'; contributors: number }
  | {
      mechanism: 'distributed-gaussian';
      delta: number;
      unitEpsilonMicro: number;
      contributors: number;
    };

export const LOCAL_LAPLACE: RoundNoise = { mechanism: 'local-laplace' };

/** rhoPicoForEpsilon is a 200-step bisection over the conversion: rounds ask it for few pairs. */
const rhoCache = new Map<string, bigint>();

/** rho of (epsilon, delta) in pico-rho, rounded down: the largest rho that converts to at most epsilon. */
export function rhoPicoForEpsilon(epsilonMicro: number, delta: number): bigint {
  const key = `${epsilonMicro}/${delta}`;
  const hit = rhoCache.get(key);
  if (hit !== undefined) return hit;
  if (rhoCache.size >= 1024) rhoCache.clear();
  const value = computeRhoPico(epsilonMicro, delta);
  rhoCache.set(key, value);
  return value;
}

function computeRhoPico(epsilonMicro: number, delta: number): bigint {
  // A relative margin of 1e-6 absorbs the per-round rounding up of charges (at most 1 pico-rho a
  // round) and the float conversion, so a job at exactly a node's epsilon cap is not refused.
  return BigInt(Math.floor(rhoForEpsilon(epsilonMicro / 1e6, delta) * 1e12 * (1 - 1e-6)));
}

export type GaussianNoise = Extract<RoundNoise, { mechanism: 'distributed-gaussian' }>;

/** The exact rho of `epsilonMicro` of the unit's epsilon: unitRho x epsilonMicro / unitEpsilonMicro. */
export function rhoOfShare(noise: GaussianNoise, epsilonMicro: number): Rho {
  const unit = rhoPicoForEpsilon(noise.unitEpsilonMicro, noise.delta);
  return rho(unit * BigInt(epsilonMicro), BigInt(noise.unitEpsilonMicro) * PICO);
}

/** What a release with `epsilonMicro` of layout epsilon costs under `noise`. */
export function roundSpend(noise: RoundNoise, epsilonMicro: number): PrivacySpend {
  if (noise.mechanism !== 'distributed-gaussian') return pureSpend(epsilonMicro);
  const r = rhoOfShare(noise, epsilonMicro);
  // Rounded up to whole pico-rho: the charge is never below the rho the noise was sized for.
  return gaussianSpend((r.num * PICO + r.den - 1n) / r.den);
}

/** A noise block: sensitivity (L1, and an L2 bound when tighter), epsilon share, slot count. */
export interface GaussianBlock {
  sensitivity: bigint;
  /** L2 sensitivity when below the L1 one (e.g. a clipped gradient); the L1 bound otherwise. */
  l2Sensitivity?: bigint;
  epsilonMicro: number;
  length: number;
}

/** Granularity of the per-node variance: 1/1024, rounded up so the noise never falls short. */
const SIGMA2_DEN = 1024n;

/**
 * The variance of ONE node's discrete Gaussian share for a block, as an exact fraction (rounded
 * up): the smallest whose sum over `contributors` shares is accounted at most the block's rho
 * (distributedGaussianRho with L2 sensitivity, slots and contributors). A block of sensitivity 0
 * needs no noise: null.
 */
export function gaussianShareVariance(block: GaussianBlock, noise: GaussianNoise): Rho | null {
  const l2 = block.l2Sensitivity ?? block.sensitivity;
  if (l2 === 0n) return null;
  const target = rhoOfShare(noise, block.epsilonMicro);
  const sigma2 = distributedGaussianSigma2({
    targetRho: Number(target.num) / Number(target.den),
    sens2: Number(l2 * l2),
    minContributors: noise.contributors,
    dims: block.length,
  });
  const num = BigInt(Math.ceil(sigma2 * Number(SIGMA2_DEN) * (1 + 1e-9)));
  return rho(num, SIGMA2_DEN);
}

/** Float value of an exact fraction, for variances and reports. */
export function fractionValue(f: Rho): number {
  return Number(f.num) / Number(f.den);
}
