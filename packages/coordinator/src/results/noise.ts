import {
  LOCAL_LAPLACE,
  formatNumber,
  layoutNoiseVariance,
  rhoOfShare,
  zcdpEpsilon,
  type RoundNoise,
  type VarianceBlock,
} from '@fedmark/protocol';

/**
 * Per-slot noise variance of an aggregate in slot units (docs/privacy.md "Distributed noise"):
 * each contributor's noise variance, summed over the contributors (protocol
 * layoutNoiseVariance): n full discrete Laplace draws in local mode, n discrete Gaussian shares
 * each sized for the round's threshold T under distributed noise. Zero when noise was off (test
 * only).
 */
export function aggregateNoiseVariance(
  layout: { length: number; blocks: readonly VarianceBlock[] },
  contributors: number,
  noiseOn: boolean,
  noise: RoundNoise = LOCAL_LAPLACE
): number[] {
  return noiseOn
    ? layoutNoiseVariance(layout, contributors, noise)
    : new Array<number>(layout.length).fill(0);
}

/** The rho a contributing node spent on a round of `epsilonMicro` layout epsilon (Gaussian only). */
export function roundRho(noise: RoundNoise, epsilonMicro: number): number | undefined {
  if (noise.mechanism !== 'distributed-gaussian') return undefined;
  const r = rhoOfShare(noise, epsilonMicro);
  return Number(r.num) / Number(r.den);
}

/** The result note that says what noise the aggregate carries. */
export function noiseNote(
  noise: RoundNoise,
  noiseOn: boolean,
  contributors: number,
  epsilonMicro: number
): string {
  if (!noiseOn)
    return 'Noise was switched off (test-only mode): these are exact sums and are NOT differentially private.';
  if (noise.mechanism === 'local-laplace')
    return `Each of the ${contributors} contributing nodes added discrete Laplace noise to every slot (local DP, pure epsilon); the noise variance is ${contributors} times that of one central release.`;
  const ratio = contributors / noise.contributors;
  const carries =
    ratio === 1 ? 'exactly the noise' : `${formatNumber(ratio)} times the noise variance`;
  const shares = `each of the ${contributors} contributing nodes added a`;
  const sized = `share sized for ${noise.contributors} shares (the secure-aggregation threshold), so the aggregate carries ${carries} of one central`;
  if (noise.mechanism === 'distributed-laplace')
    return `Distributed noise: ${shares} discrete Laplace (Polya) ${sized} discrete Laplace release at epsilon ${formatNumber(epsilonMicro / 1e6)} (pure DP).`;
  const rho = roundRho(noise, epsilonMicro) ?? 0;
  return `Distributed noise: ${shares} discrete Gaussian ${sized} release at rho ${formatNumber(rho)} per node (epsilon ${formatNumber(zcdpEpsilon(rho, noise.delta))} at delta ${noise.delta} for this round alone).`;
}
