/**
 * zero-Concentrated DP accounting (Bun and Steinke 2016; Canonne, Kamath, Steinke 2020, "The
 * Discrete Gaussian for Differential Privacy", CKS20): rho composes by addition, the discrete
 * Gaussian N_Z(0, sigma^2) with L2 sensitivity Delta is Delta^2 / (2 sigma^2)-zCDP (CKS20 Theorem
 * 4), a pure epsilon-DP release is epsilon^2 / 2-zCDP, and rho converts to (epsilon, delta) with
 * the tight bound of CKS20 Corollary 13. docs/privacy.md "zCDP".
 *
 * Charges are exact rationals (`Rho`): budgets must not drift through float sums. The
 * conversion to (epsilon, delta) is for display and calibration only, in floating point.
 */

/** An exact non-negative rational. */
export interface Rho {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

export function rho(num: bigint, den: bigint): Rho {
  if (den <= 0n || num < 0n)
    throw new RangeError(`rho expected a non-negative fraction, got ${num}/${den}`);
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
}

/** Sequential composition: the rhos add up. */
export function composeRho(...parts: readonly Rho[]): Rho {
  return parts.reduce(
    (acc, p) => rho(acc.num * p.den + p.num * acc.den, acc.den * p.den),
    rho(0n, 1n)
  );
}

export function rhoToNumber(r: Rho): number {
  return Number(r.num) / Number(r.den);
}

/** a <= b, exactly. */
export function rhoAtMost(a: Rho, b: Rho): boolean {
  return a.num * b.den <= b.num * a.den;
}

/**
 * rho of the discrete Gaussian with squared L2 sensitivity `sens2` and variance `sigma2`, both
 * exact rationals: sens2 / (2 sigma2).
 */
export function gaussianRho(sens2: Rho, sigma2: Rho): Rho {
  return rho(sens2.num * sigma2.den, 2n * sens2.den * sigma2.num);
}

/** A pure epsilon-DP release, as zCDP: epsilon^2 / 2, epsilon given in micro-units (exact). */
export function pureEpsilonRho(epsilonMicro: number): Rho {
  const e = BigInt(epsilonMicro);
  return rho(e * e, 2n * 10n ** 12n);
}

/**
 * The smallest epsilon for which rho-zCDP implies (epsilon, delta)-DP, by CKS20 Corollary 13:
 *   epsilon = inf over alpha > 1 of alpha rho + (ln(1/delta) + (alpha - 1) ln(1 - 1/alpha) - ln alpha) / (alpha - 1).
 * Tighter than the textbook rho + 2 sqrt(rho ln(1/delta)) (Bun-Steinke Proposition 1.3), which it
 * never exceeds. The infimum is found by golden-section search on ln(alpha - 1).
 */
export function zcdpEpsilon(rhoValue: number, delta: number): number {
  if (!(rhoValue >= 0) || !(delta > 0 && delta < 1))
    throw new RangeError(
      `expected rho >= 0 and 0 < delta < 1, got rho ${rhoValue}, delta ${delta}`
    );
  if (rhoValue === 0) return 0;
  const f = (alpha: number) =>
    alpha * rhoValue +
    (Math.log(1 / delta) + (alpha - 1) * Math.log1p(-1 / alpha) - Math.log(alpha)) / (alpha - 1);
  const g = (u: number) => f(1 + Math.exp(u));
  // Scan a wide log grid, then refine around the best point (the objective is unimodal in practice).
  let best = -20;
  for (let u = -20; u <= 20; u += 0.05) if (g(u) < g(best)) best = u;
  let lo = best - 0.05;
  let hi = best + 0.05;
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100; i++) {
    const a = hi - phi * (hi - lo);
    const b = lo + phi * (hi - lo);
    if (g(a) < g(b)) hi = b;
    else lo = a;
  }
  const tight = g((lo + hi) / 2);
  const simple = rhoValue + 2 * Math.sqrt(rhoValue * Math.log(1 / delta));
  return Math.min(tight, simple);
}

/**
 * Bisection for a monotone predicate: `ok(lo)` holds, and `hi` is doubled until `ok(hi)` fails;
 * returns [the last point found where it holds, the first where it fails] after 200 halvings.
 */
function bisect(ok: (x: number) => boolean, lo: number, start: number): [number, number] {
  let a = lo;
  let b = start;
  while (ok(b)) b *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (a + b) / 2;
    if (ok(mid)) a = mid;
    else b = mid;
  }
  return [a, b];
}

/** The largest rho whose (epsilon, delta) conversion is at most `epsilon` (bisection). */
export function rhoForEpsilon(epsilon: number, delta: number): number {
  return bisect((r) => zcdpEpsilon(r, delta) <= epsilon, 0, epsilon)[0];
}

/**
 * Distributed discrete Gaussian (Kairouz, Liu, Steinke 2021, "The Distributed Discrete Gaussian
 * Mechanism for Federated Learning with Secure Aggregation", Theorem 1 / Proposition 14): each of
 * n contributors adds N_Z(0, sigma2) to a d-slot vector of L2 sensitivity sqrt(sens2). The sum is
 * not exactly a discrete Gaussian; with tau = 10 sum_{k=1}^{n-1} exp(-2 pi^2 sigma2 k/(k+1)) and
 * rho0 = sens2 / (2 n sigma2) it is rho-zCDP for the smaller of rho0 + tau d (from the bound
 * (alpha/2) sens2/(n sigma2) + tau d on the Renyi divergence of order alpha) and
 * (sqrt(2 rho0) + tau sqrt(d))^2 / 2. tau vanishes quickly: below 1e-30 once sigma2 >= 4.
 * `minContributors` is the fewest contributors the round accepts: fewer would mean less noise
 * than accounted, so such rounds must be refused.
 */
export function distributedGaussianRho(o: {
  sens2: number;
  sigma2PerNode: number;
  minContributors: number;
  dims: number;
}): number {
  const n = o.minContributors;
  let tau = 0;
  for (let k = 1; k < n; k++) tau += Math.exp((-2 * Math.PI ** 2 * o.sigma2PerNode * k) / (k + 1));
  tau *= 10;
  const rho0 = o.sens2 / (2 * n * o.sigma2PerNode);
  return Math.min(rho0 + tau * o.dims, (Math.sqrt(2 * rho0) + tau * Math.sqrt(o.dims)) ** 2 / 2);
}

/**
 * The per-contributor variance whose distributed sum is accounted at most `targetRho`
 * (bisection on `distributedGaussianRho`, which falls as the variance grows).
 */
export function distributedGaussianSigma2(o: {
  targetRho: number;
  sens2: number;
  minContributors: number;
  dims: number;
}): number {
  // Too little variance: accounted above the target. The central figure is a lower bound.
  const tooLittle = (s2: number) =>
    distributedGaussianRho({ ...o, sigma2PerNode: s2 }) > o.targetRho;
  const central = o.sens2 / (2 * o.minContributors * o.targetRho);
  return bisect(tooLittle, central, central)[1];
}

/**
 * Per-coordinate noise std for `rounds` Gaussian releases of L2 sensitivity `sensitivity` that
 * together are (epsilon, delta)-DP under zCDP: sigma = sensitivity sqrt(rounds / (2 rho)).
 */
export function gaussianStdForRounds(o: {
  rounds: number;
  epsilon: number;
  delta: number;
  sensitivity: number;
}): number {
  const total = rhoForEpsilon(o.epsilon, o.delta);
  return o.sensitivity * Math.sqrt(o.rounds / (2 * total));
}
