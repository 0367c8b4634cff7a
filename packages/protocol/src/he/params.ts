/**
 * HE parameter sets, by id. The id travels on the wire (key epochs, tasks); the numbers here are
 * what both node and coordinator build their SEAL context from, so they must never change for an
 * existing id: add a new id instead.
 *
 * `bfv-8192-t40`: BFV with batching, N = 8192.
 * - Coefficient modulus: SEAL's CoeffModulus.BFVDefault(8192, tc128) = primes of 43+43+44+44+44 =
 *   218 bits. The HomomorphicEncryption.org security standard (Albrecht et al., 2018, Table 1,
 *   uniform ternary secret, classical 128-bit) allows at most log2(q) = 218 for N = 8192; SEAL's
 *   defaults are taken from that table (SEAL native/src/seal/util/hestdparms.h).
 * - Plain modulus: PlainModulus.Batching(8192, 40), the 40-bit prime t = 1099511480321 with
 *   t = 1 (mod 2N), which batching needs (Smart-Vercauteren SIMD slots). Signed values live in
 *   (-t/2, t/2), about +-5.5e11: enough for 64 nodes x 10^7 rows of fixed-point sums once the
 *   query's scales are checked against it (see checkFits).
 * - Slots: N = 8192 per ciphertext (two rows of 4096; we use them as one flat vector).
 * Only additions are ever evaluated (depth 0), so noise budget is never the limit for a sum over
 * a few hundred contributions.
 *
 * `bfv-8192-t60` (the default, listed first): the same ring and coefficient modulus with the
 * 60-bit batching prime t = 1152921504606830593 (PlainModulus.Batching(8192, 60); 60 bits is
 * SEAL's largest prime size). Signed range about +-5.8e17. Why: money sums in cents overflow the
 * 40-bit range at realistic sizes (10^7 customers x 5,000.00 = 5e12 > 5.5e11), which made the
 * coordinator refuse ordinary RFM jobs. Cost: none in ciphertext size (set by the coefficient
 * modulus); the fresh noise budget drops by ~20 bits, and 64 additions still leave 103 bits
 * (measured here), so sums over thousands of contributions decrypt exactly.
 */
export const HE_PARAMS_IDS = ['bfv-8192-t60', 'bfv-8192-t40'] as const;
export type HeParamsId = (typeof HE_PARAMS_IDS)[number];

export interface HeParams {
  scheme: 'bfv';
  polyModulusDegree: number;
  /** Security level passed to CoeffModulus.BFVDefault and the SEAL context. */
  securityLevel: 'tc128';
  /** Bit sizes BFVDefault yields (checked when a context is built). */
  coeffModulusBits: readonly number[];
  plainModulusBits: number;
  /** Expected plain modulus; the context refuses to build if SEAL picks another prime. */
  plainModulus: bigint;
  slotCount: number;
}

export const HE_PARAMS: Record<HeParamsId, HeParams> = {
  'bfv-8192-t60': {
    scheme: 'bfv',
    polyModulusDegree: 8192,
    securityLevel: 'tc128',
    coeffModulusBits: [43, 43, 44, 44, 44],
    plainModulusBits: 60,
    plainModulus: 1152921504606830593n,
    slotCount: 8192,
  },
  'bfv-8192-t40': {
    scheme: 'bfv',
    polyModulusDegree: 8192,
    securityLevel: 'tc128',
    coeffModulusBits: [43, 43, 44, 44, 44],
    plainModulusBits: 40,
    plainModulus: 1099511480321n,
    slotCount: 8192,
  },
};

export function isHeParamsId(value: unknown): value is HeParamsId {
  return typeof value === 'string' && (HE_PARAMS_IDS as readonly string[]).includes(value);
}
