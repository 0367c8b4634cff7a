import {
  CLV_DEFAULT_CLIP,
  CLV_DEFAULT_ROUNDS,
  CLV_DIM,
  DEFAULT_DELTA,
  MIN_NODES_FLOOR,
  clvEpsilonPlan,
  clvIntervals,
  clvRoundLayout,
  clvStartTheta,
  clvStep,
  decodeClvRound,
  decodeClvStart,
  isClvStartRound,
  federatedClvModel,
  rhoPicoForEpsilon,
  secaggThreshold,
  unitNoiseOf,
  type ClvClip,
  type ClvDecoded,
  type ClvModel,
  type ClvModelName,
  type RfmSummary,
  type RoundNoise,
  type SpendSummary,
} from '@fedmark/protocol';
import { clvRoundRelease } from './round-release.ts';

/**
 * In-process federated CLV fit for tests and benchmarks (docs/clv.md "Federation"): each node's
 * release is computed as a node would (clvRoundRelease), the aggregate is the slot-wise integer
 * sum BFV computes exactly, and the coordinator's step is clvStep. The distributed Gaussian
 * shares are sized for the secure-aggregation threshold of the node count, as a real round.
 */

export type ClvCustomer = RfmSummary & SpendSummary;

export interface SimulateClvOptions {
  /** Total epsilon per node; omitted or `noise: false`: no noise (tests only). */
  epsilon?: number;
  noise: boolean;
  delta?: number;
  rounds?: Partial<Record<ClvModelName, number>>;
  clip?: Partial<Record<ClvModelName, ClvClip>>;
  calibrationEnd?: string;
  name?: string;
}

interface ModelFit {
  theta: number[];
  last: ClvDecoded;
  counts: number[];
}

function fitOne(
  model: ClvModelName,
  nodes: readonly (readonly ClvCustomer[])[],
  o: { rounds: number; clip: ClvClip; roundMicro: number; noise: RoundNoise | null }
): ModelFit {
  let theta = new Array<number>(CLV_DIM[model]).fill(0);
  let last: ClvDecoded | undefined;
  const counts: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const layout = clvRoundLayout({
      model,
      theta,
      clip: o.clip,
      round: r,
      roundEpsilonMicro: o.roundMicro,
    });
    const values = new Array<bigint>(layout.length).fill(0n);
    const variance = new Array<number>(layout.length).fill(0);
    for (const cs of nodes) {
      const rel = clvRoundRelease(
        layout,
        cs,
        o.noise === null ? { noise: false } : { noise: true, roundNoise: o.noise }
      );
      rel.values.forEach((v, i) => {
        values[i] = (values[i] as bigint) + v;
        variance[i] = (variance[i] as number) + (rel.variance[i] as number);
      });
    }
    if (isClvStartRound(model, r)) {
      const start = decodeClvStart({ layout, values, variance });
      counts.push(start.count);
      theta = clvStartTheta(start);
      continue;
    }
    last = decodeClvRound({ layout, values, variance });
    counts.push(last.count);
    theta = clvStep(theta, last);
  }
  if (!last) throw new RangeError(`${model} needs at least one Newton round`);
  return { theta, last, counts };
}

export function simulateClvFit(
  nodes: readonly (readonly ClvCustomer[])[],
  opts: SimulateClvOptions
): ClvModel {
  const delta = opts.delta ?? DEFAULT_DELTA;
  const rounds = { ...CLV_DEFAULT_ROUNDS, ...opts.rounds };
  const clip = { ...CLV_DEFAULT_CLIP, ...opts.clip };
  const epsilon = opts.noise ? (opts.epsilon ?? 1) : 0;
  const plan = opts.noise
    ? clvEpsilonPlan({
        epsilon,
        bgnbdRounds: rounds.bgnbd,
        gammaGammaRounds: rounds['gamma-gamma'],
      })
    : null;
  const noise: RoundNoise | null = opts.noise
    ? unitNoiseOf(
        { mechanism: 'distributed-gaussian', delta },
        epsilon,
        secaggThreshold(nodes.length, MIN_NODES_FLOOR)
      )
    : null;
  const bg = fitOne('bgnbd', nodes, {
    rounds: rounds.bgnbd,
    clip: clip.bgnbd,
    roundMicro: plan?.bgnbdRoundMicro ?? 0,
    noise,
  });
  const gg = fitOne('gamma-gamma', nodes, {
    rounds: rounds['gamma-gamma'],
    clip: clip['gamma-gamma'],
    roundMicro: plan?.gammaGammaRoundMicro ?? 0,
    noise,
  });
  return federatedClvModel({
    name: opts.name ?? 'federated CLV',
    daysPerUnit: 7,
    calibrationEnd: opts.calibrationEnd ?? '1997-09-30',
    bgnbd: { theta: bg.theta, intervals: clvIntervals(bg.theta, bg.last) },
    gammaGamma: { theta: gg.theta, intervals: clvIntervals(gg.theta, gg.last) },
    fit: {
      method: 'federated',
      nodes: nodes.map((_, i) => `node-${i + 1}`),
      rounds: rounds.bgnbd + rounds['gamma-gamma'],
      noise: opts.noise,
      epsilonPerNode: epsilon,
      delta,
      ...(opts.noise
        ? { rho: Number(rhoPicoForEpsilon(plan?.totalMicro ?? 0, delta)) / 1e12 }
        : {}),
      // Mean of the BG/NBD rounds' noisy counts: post-processing, less noisy than one round.
      customers: Math.max(0, bg.counts.reduce((s, v) => s + v, 0) / bg.counts.length),
    },
  });
}
