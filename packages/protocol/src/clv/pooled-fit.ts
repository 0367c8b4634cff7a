import { flooredSolve } from '../model/_linalg.ts';
import { bgNbdFromTheta, type BgNbdParams, type RfmSummary } from './bgnbd.ts';
import { gammaGammaFromTheta, type GammaGammaParams, type SpendSummary } from './gamma-gamma.ts';
import {
  BG_NBD_LIKELIHOOD,
  GAMMA_GAMMA_LIKELIHOOD,
  customerInformation,
  type CustomerLikelihood,
} from './likelihood.ts';

/**
 * Pooled maximum likelihood: Newton's method on the summed log-likelihood in log-parameter
 * space, with the observed information floored to be positive definite (flooredSolve) and a
 * backtracking line search (halve until the log-likelihood rises; Nocedal and Wright 2006,
 * Algorithm 3.1 with the Armijo constant 1e-4). This is the reference the federated fit is
 * compared with (docs/clv.md "Measured").
 */

export interface FitResult {
  theta: number[];
  logLik: number;
  iterations: number;
  gradientNorm: number;
}

export interface PooledFitOptions {
  start?: readonly number[];
  maxIterations?: number;
  /** Stop when the summed gradient's max-norm is below this (log-parameter units). */
  tolerance?: number;
}

/** Floor on the information's eigenvalues: a tiny ridge that only acts far from the optimum. */
const INFO_FLOOR = 1e-6;
const MAX_STEP = 2;

export function sumLogLik<TCustomer>(
  model: CustomerLikelihood<TCustomer>,
  theta: readonly number[],
  customers: readonly TCustomer[]
): number {
  let s = 0;
  for (const c of customers) s += model.logLik(theta, c);
  return s;
}

function sumGradInfo<TCustomer>(
  model: CustomerLikelihood<TCustomer>,
  theta: readonly number[],
  customers: readonly TCustomer[]
): { g: number[]; h: number[][] } {
  const d = model.dim;
  const g = new Array<number>(d).fill(0);
  const h = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const c of customers) {
    const gi = model.gradient(theta, c);
    const hi = customerInformation(model, theta, c);
    for (let i = 0; i < d; i++) {
      g[i] = (g[i] as number) + (gi[i] as number);
      for (let j = 0; j < d; j++)
        (h[i] as number[])[j] =
          ((h[i] as number[])[j] as number) + ((hi[i] as number[])[j] as number);
    }
  }
  return { g, h };
}

export function fitPooled<TCustomer>(
  model: CustomerLikelihood<TCustomer>,
  customers: readonly TCustomer[],
  opts: PooledFitOptions = {}
): FitResult {
  let theta = opts.start ? [...opts.start] : new Array<number>(model.dim).fill(0);
  const tol = opts.tolerance ?? 1e-9;
  const maxIt = opts.maxIterations ?? 200;
  let ll = sumLogLik(model, theta, customers);
  for (let it = 0; it < maxIt; it++) {
    const { g, h } = sumGradInfo(model, theta, customers);
    const gnorm = Math.max(...g.map(Math.abs));
    if (gnorm < tol) return { theta, logLik: ll, iterations: it, gradientNorm: gnorm };
    const raw = flooredSolve(h, g, INFO_FLOOR);
    // Far from the optimum a Newton step can be huge; at most MAX_STEP in log space per
    // iteration (a factor e^2 on a parameter) keeps every trial point inside lnGamma's domain.
    const big = Math.max(...raw.map(Math.abs));
    const step = big > MAX_STEP ? raw.map((v) => (v * MAX_STEP) / big) : raw;
    const slope = step.reduce((s, v, i) => s + v * (g[i] as number), 0);
    let t = 1;
    for (;;) {
      const next = theta.map((v, i) => v + t * (step[i] as number));
      const nll = sumLogLik(model, next, customers);
      if (Number.isFinite(nll) && nll >= ll + 1e-4 * t * slope) {
        theta = next;
        ll = nll;
        break;
      }
      t /= 2;
      if (t < 1e-12) {
        return { theta, logLik: ll, iterations: it, gradientNorm: gnorm };
      }
    }
  }
  const { g } = sumGradInfo(model, theta, customers);
  return { theta, logLik: ll, iterations: maxIt, gradientNorm: Math.max(...g.map(Math.abs)) };
}

/**
 * Both models fitted pooled, as lifetimes fits them: BG/NBD on every customer, Gamma-Gamma on
 * those with a repeat purchase. The reference the federated fit and its bench compare with.
 */
export function fitPooledClv(customers: readonly (RfmSummary & SpendSummary)[]): {
  bgnbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
} {
  return {
    bgnbd: bgNbdFromTheta(fitPooled(BG_NBD_LIKELIHOOD, customers).theta),
    gammaGamma: gammaGammaFromTheta(
      fitPooled(
        GAMMA_GAMMA_LIKELIHOOD,
        customers.filter((c) => c.frequency > 0)
      ).theta
    ),
  };
}
