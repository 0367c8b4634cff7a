import {
  BG_NBD_LIKELIHOOD,
  GAMMA_GAMMA_LIKELIHOOD,
  LOG_SPEND_CLIP,
  clvBlock,
  isClvStartRound,
  customerInformation,
  type ClvRoundLayout,
  type CustomerLikelihood,
  type RfmSummary,
  type RoundNoise,
  type SpendSummary,
} from '@fedmark/protocol';
import { addNoise } from '../privacy/noise.ts';
import { roundHalfAway } from '../training/_round.ts';

/**
 * One node's CLV round (docs/clv.md "Federation"): the exact integer vector of the layout from
 * its customers' summaries, every customer clipped (gradient in L2, information in Frobenius
 * norm, log-likelihood clamped) and each customer's terms rounded before summing, so the sum
 * over nodes equals the pooled vector exactly whatever the split. Gamma-Gamma rounds read only
 * customers with a repeat purchase (as lifetimes fits it); the caller passes all of them.
 * Gamma-Gamma's start round sums their clamped ln(mean repeat spend) instead (clvStartVector).
 */

export interface ClvRelease {
  values: bigint[];
  variance: number[];
}

/** Every slot as an exact integer (each term was rounded before it was added). */
function exactSlots(acc: Float64Array): bigint[] {
  return Array.from(acc, (v, i) => {
    if (!Number.isSafeInteger(v))
      throw new RangeError(`slot ${i} left the exact integer range of a double (${v})`);
    return BigInt(v);
  });
}

/** The start round: count and sum of clamped ln(mean repeat spend) of the repeat customers. */
function clvStartVector(
  layout: ClvRoundLayout,
  customers: readonly (RfmSummary & Partial<SpendSummary>)[]
): bigint[] {
  const c = clvBlock(layout, 'count');
  const s = clvBlock(layout, 'logspend');
  const acc = new Float64Array(layout.length);
  for (const cust of customers) {
    if (!(cust.frequency > 0)) continue;
    acc[c.offset] = (acc[c.offset] as number) + 1;
    // A mean spend of 0 or less (refunds) has no logarithm: it counts as the clamp's floor.
    const m = cust.monetary ?? 0;
    const ls =
      m > 0 ? Math.max(-LOG_SPEND_CLIP, Math.min(LOG_SPEND_CLIP, Math.log(m))) : -LOG_SPEND_CLIP;
    acc[s.offset] = (acc[s.offset] as number) + roundHalfAway(ls * s.scale);
  }
  return exactSlots(acc);
}

export function clvRoundVector(
  layout: ClvRoundLayout,
  customers: readonly (RfmSummary & Partial<SpendSummary>)[]
): bigint[] {
  const { spec } = layout;
  if (isClvStartRound(spec.model, spec.round)) return clvStartVector(layout, customers);
  const model = (
    spec.model === 'bgnbd' ? BG_NBD_LIKELIHOOD : GAMMA_GAMMA_LIKELIHOOD
  ) as CustomerLikelihood<RfmSummary & Partial<SpendSummary>>;
  const c = clvBlock(layout, 'count');
  const l = clvBlock(layout, 'loglik');
  const g = clvBlock(layout, 'gradient');
  const h = clvBlock(layout, 'information');
  const acc = new Float64Array(layout.length);
  const bump = (i: number, v: number) => {
    acc[i] = (acc[i] as number) + v;
  };
  const d = g.length;
  for (const cust of customers) {
    if (spec.model === 'gamma-gamma' && !(cust.frequency > 0)) continue;
    bump(c.offset, 1);
    const ll = model.logLik(spec.theta, cust);
    const lc = Math.max(
      -spec.clip.loglik,
      Math.min(spec.clip.loglik, Number.isFinite(ll) ? ll : -spec.clip.loglik)
    );
    bump(l.offset, roundHalfAway(lc * l.scale));
    const gi = model.gradient(spec.theta, cust);
    const gn = Math.hypot(...gi);
    const gf = gn > spec.clip.gradient ? spec.clip.gradient / gn : 1;
    for (let i = 0; i < d; i++) bump(g.offset + i, roundHalfAway(gf * (gi[i] as number) * g.scale));
    const hi = customerInformation(model, spec.theta, cust);
    const hn = Math.hypot(...hi.flat());
    const hf = hn > spec.clip.information ? spec.clip.information / hn : 1;
    let k = h.offset;
    for (let i = 0; i < d; i++)
      for (let j = i; j < d; j++)
        bump(k++, roundHalfAway(hf * ((hi[i] as number[])[j] as number) * h.scale));
  }
  return exactSlots(acc);
}

/**
 * The node's release: the exact vector plus its noise share (addNoise with the job's
 * RoundNoise). `noise: false` exists for exactness tests and benchmarks only.
 */
export function clvRoundRelease(
  layout: ClvRoundLayout,
  customers: readonly (RfmSummary & Partial<SpendSummary>)[],
  opts: { noise: false } | { noise: true; roundNoise: RoundNoise }
): ClvRelease {
  const exact = clvRoundVector(layout, customers);
  if (!opts.noise) return { values: exact, variance: new Array<number>(layout.length).fill(0) };
  const { values, variance } = addNoise(layout, exact, opts.roundNoise);
  return { values, variance };
}
