import { zcdpEpsilon } from './zcdp.ts';

/**
 * What releases cost, in exact integers (docs/privacy.md "Accounting in rho and epsilon"):
 * discrete Laplace releases in micro-epsilon of pure DP, discrete Gaussian releases in pico-rho
 * (rho x 10^12) of zCDP. A pure epsilon-DP release is also epsilon^2/2-zCDP (Bun and Steinke
 * 2016, Proposition 1.4), kept as `pureRhoPico`, so a set of releases is bounded two ways and
 * the smaller bound is the one that counts (see `spendEpsilonMicro`). Micro-epsilon squared is
 * pico-rho, so the pure releases' rho is exact too: ceil(m^2 / 2).
 */
export interface PrivacySpend {
  /** Sum of the pure-DP (discrete Laplace) releases' epsilon, micro-units. */
  pureMicro: number;
  /** Sum of epsilon^2/2 over the same releases, pico-rho (each rounded up). */
  pureRhoPico: bigint;
  /** Sum of the zCDP (discrete Gaussian) releases' rho, pico-rho (each rounded up). */
  gaussianRhoPico: bigint;
}

export const PICO = 1_000_000_000_000n;

export const NO_SPEND: PrivacySpend = { pureMicro: 0, pureRhoPico: 0n, gaussianRhoPico: 0n };

/** One pure epsilon-DP release of `epsilonMicro` micro-epsilon. */
export function pureSpend(epsilonMicro: number): PrivacySpend {
  if (!Number.isSafeInteger(epsilonMicro) || epsilonMicro < 0)
    throw new RangeError(`"epsilonMicro" expected a non-negative integer, got ${epsilonMicro}`);
  const m = BigInt(epsilonMicro);
  return { pureMicro: epsilonMicro, pureRhoPico: (m * m + 1n) / 2n, gaussianRhoPico: 0n };
}

/** One rho-zCDP release, rho given in pico-rho. */
export function gaussianSpend(rhoPico: bigint): PrivacySpend {
  if (typeof rhoPico !== 'bigint' || rhoPico < 0n)
    throw new RangeError(`"rhoPico" expected a non-negative bigint, got ${String(rhoPico)}`);
  return { pureMicro: 0, pureRhoPico: 0n, gaussianRhoPico: rhoPico };
}

/** Sequential composition: the spends add up, each part exactly. */
export function addSpend(...parts: readonly PrivacySpend[]): PrivacySpend {
  return parts.reduce(
    (a, p) => ({
      pureMicro: a.pureMicro + p.pureMicro,
      pureRhoPico: a.pureRhoPico + p.pureRhoPico,
      gaussianRhoPico: a.gaussianRhoPico + p.gaussianRhoPico,
    }),
    NO_SPEND
  );
}

/** The whole spend as zCDP: the Gaussian releases' rho plus the pure releases' epsilon^2/2. */
export function spendRhoPico(s: PrivacySpend): bigint {
  return s.pureRhoPico + s.gaussianRhoPico;
}

/** True when the spend is nothing at all. */
export function isNoSpend(s: PrivacySpend): boolean {
  return s.pureMicro === 0 && s.pureRhoPico === 0n && s.gaussianRhoPico === 0n;
}

function epsilonMicroOfRho(rhoPico: bigint, delta: number): number {
  if (rhoPico === 0n) return 0;
  // Rounded up: a cap compared against it is never passed by a float rounding.
  return Math.ceil(zcdpEpsilon(Number(rhoPico) / 1e12, delta) * 1e6 * (1 + 1e-12));
}

/**
 * The spend as (epsilon, delta)-DP at `delta`, in micro-epsilon rounded up: the smaller of
 * (a) the pure releases' epsilon plus the Gaussian releases' rho converted at delta (a pure
 * epsilon1-DP and an (epsilon2, delta)-DP release compose to (epsilon1 + epsilon2, delta)), and
 * (b) everything as zCDP, converted at delta (CKS20 Corollary 13, `zcdpEpsilon`). A spend of
 * pure releases only is thus never above their plain sum, and equal to it when (b) is no better.
 */
export function spendEpsilonMicro(s: PrivacySpend, delta: number): number {
  const a = s.pureMicro + epsilonMicroOfRho(s.gaussianRhoPico, delta);
  if (s.gaussianRhoPico === 0n && s.pureRhoPico === 0n) return a;
  return Math.min(a, epsilonMicroOfRho(spendRhoPico(s), delta));
}

/** Pico-rho as an exact decimal: 4500000000n -> '0.0045'. */
export function formatRhoPico(p: bigint): string {
  const whole = p / PICO;
  const frac = (p % PICO).toString().padStart(12, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}`;
}
