import { BG_NBD_DIM, bgNbdGradient, bgNbdLogLik, type RfmSummary } from './bgnbd.ts';
import {
  GAMMA_GAMMA_DIM,
  gammaGammaGradient,
  gammaGammaLogLik,
  type SpendSummary,
} from './gamma-gamma.ts';

/**
 * A per-customer log-likelihood in log-parameter space: what the pooled fit maximises and what
 * each node sums over its own customers in the federated fit (docs/clv.md "Federation").
 */
export interface CustomerLikelihood<TCustomer> {
  name: 'bgnbd' | 'gamma-gamma';
  dim: number;
  logLik(theta: readonly number[], c: TCustomer): number;
  gradient(theta: readonly number[], c: TCustomer): number[];
}

export const BG_NBD_LIKELIHOOD: CustomerLikelihood<RfmSummary> = {
  name: 'bgnbd',
  dim: BG_NBD_DIM,
  logLik: bgNbdLogLik,
  gradient: bgNbdGradient,
};

export const GAMMA_GAMMA_LIKELIHOOD: CustomerLikelihood<SpendSummary> = {
  name: 'gamma-gamma',
  dim: GAMMA_GAMMA_DIM,
  logLik: gammaGammaLogLik,
  gradient: gammaGammaGradient,
};

/** Step of the central differences of the analytic gradient (log-parameter units). */
const HESSIAN_STEP = 1e-5;

/**
 * One customer's negative Hessian of ell (observed information), by central differences of the
 * analytic gradient, symmetrised: an error of order h^2 ~ 1e-10 relative, far below what 3
 * decimals of the parameters need, and far cheaper to audit than the second derivatives of
 * the hypergeometric-free but long BG/NBD expression. Row-major dim x dim.
 */
export function customerInformation<TCustomer>(
  model: CustomerLikelihood<TCustomer>,
  theta: readonly number[],
  c: TCustomer
): number[][] {
  const d = model.dim;
  const cols: number[][] = [];
  for (let j = 0; j < d; j++) {
    const up = theta.slice();
    const dn = theta.slice();
    up[j] = (up[j] as number) + HESSIAN_STEP;
    dn[j] = (dn[j] as number) - HESSIAN_STEP;
    const gu = model.gradient(up, c);
    const gd = model.gradient(dn, c);
    cols.push(gu.map((v, i) => -(v - (gd[i] as number)) / (2 * HESSIAN_STEP)));
  }
  return Array.from({ length: d }, (_, i) =>
    Array.from(
      { length: d },
      (_, j) => (((cols[j] as number[])[i] as number) + ((cols[i] as number[])[j] as number)) / 2
    )
  );
}
