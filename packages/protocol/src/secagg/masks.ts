import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import nacl from 'tweetnacl';
import { canonicalBytes } from '../encoding.ts';
import { accumulated, addMask, maskAccumulator } from './prg.ts';

/**
 * Double masking of a node's integer vector inside the BFV plaintext (Bonawitz et al. 2017,
 * "Practical Secure Aggregation for Privacy-Preserving Machine Learning", §4; docs/
 * secure-aggregation.md). Node u submits
 *   y_u = x_u + PRG(b_u) + sum_{v > u} PRG(s_uv) - sum_{v < u} PRG(s_uv)   (mod t)
 * where b_u is u's self-mask seed and s_uv the seed u and v agree on with X25519. Over the closed
 * set S of survivors the pairwise masks between survivors cancel, so
 *   sum_S y_u = sum_S x_u + sum_S PRG(b_u) + (pairs of a survivor with a dropped node),
 * which `unmaskSum` removes once the survivors have revealed the b_u of every survivor and the
 * mask secret key of every dropped node, never both for one node. A single y_u is uniform in Z_t.
 */

/** Signing and derivation domains (canonical encoding, packages/protocol/src/encoding.ts). */
export const SECAGG_PAIR_DOMAIN = 'secagg-pair-seed';
export const SECAGG_SELF_DOMAIN = 'secagg-self-seed';

/** What every mask of one round is bound to: the same seed gives other masks in another round. */
export interface MaskRound {
  jobId: string;
  round: number;
  /** Slots of the round's vector. */
  length: number;
  /** The BFV plaintext modulus t: masks and values live in Z_t. */
  modulus: bigint;
}

const SEED_BYTES = 32;

/** A fresh X25519 key pair for one round's pairwise masks (tweetnacl, crypto RNG). */
export function maskKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  return nacl.box.keyPair();
}

/** The X25519 public key of a mask secret key: checks a secret recovered from shares. */
export function maskPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return nacl.scalarMult.base(secretKey);
}

/**
 * The seed `me` and `peer` share for this round: X25519(my secret, peer's public), then
 * HKDF-SHA256 (RFC 5869) with the round and both names, in sorted order, as info. Both sides
 * compute the same seed; any other round or pair gets an unrelated one.
 */
export function pairSeed(
  round: MaskRound,
  me: string,
  mySecretKey: Uint8Array,
  peer: string,
  peerPublicKey: Uint8Array
): Uint8Array {
  if (me === peer) throw new RangeError('"peer" must differ from "me"');
  const shared = nacl.scalarMult(mySecretKey, peerPublicKey);
  // A low-order peer key makes the shared secret all zero (RFC 7748 §6.1): refuse it.
  if (shared.every((b) => b === 0))
    throw new RangeError(`mask public key of ${peer} is a low-order point`);
  const [a, b] = me < peer ? [me, peer] : [peer, me];
  const info = canonicalBytes(SECAGG_PAIR_DOMAIN, { jobId: round.jobId, round: round.round, a, b });
  const seed = hkdf(sha256, shared, undefined, info, SEED_BYTES);
  shared.fill(0);
  return seed;
}

/** The self-mask seed of `owner` for this round, from its 32-byte secret b_u. */
export function selfSeed(round: MaskRound, owner: string, secret: Uint8Array): Uint8Array {
  if (secret.length !== SEED_BYTES)
    throw new RangeError(`"secret" expected ${SEED_BYTES} bytes, got length=${secret.length}`);
  const info = canonicalBytes(SECAGG_SELF_DOMAIN, {
    jobId: round.jobId,
    round: round.round,
    owner,
  });
  return hkdf(sha256, secret, undefined, info, SEED_BYTES);
}

/** +1 when `u` adds the pair's mask, -1 when it subtracts it: the smaller name adds. */
const pairSign = (u: string, v: string): bigint => (u < v ? 1n : -1n);

const mod = (v: bigint, t: bigint): bigint => ((v % t) + t) % t;

/**
 * `values` (signed, as released) masked for submission: each in [0, t). `pairs` are this node's
 * seeds with every other member that advertised a mask key for the round.
 */
export function maskedInput(
  round: MaskRound,
  me: string,
  values: readonly bigint[],
  self: Uint8Array,
  pairs: readonly { peer: string; seed: Uint8Array }[]
): bigint[] {
  if (values.length !== round.length)
    throw new RangeError(`"values" expected ${round.length} slots, got ${values.length}`);
  const t = round.modulus;
  const acc = maskAccumulator(round.length);
  addMask(acc, 1, self, t);
  for (const { peer, seed } of pairs) addMask(acc, pairSign(me, peer) === 1n ? 1 : -1, seed, t);
  const out = values.map((v, i) => v + accumulated(acc, i));
  return out.map((v) => mod(v, t));
}

/**
 * The plain sum over the survivors from their masked sum: removes every survivor's self mask and,
 * for each pair of a survivor and a dropped node, the mask the survivor added. Returns values in
 * the centred range (-t/2, t/2], the signed sums the survivors' releases add up to.
 */
export function unmaskSum(
  round: MaskRound,
  maskedSum: readonly bigint[],
  survivorSelfSeeds: readonly Uint8Array[],
  orphanPairs: readonly { survivor: string; dropped: string; seed: Uint8Array }[]
): bigint[] {
  if (maskedSum.length !== round.length)
    throw new RangeError(`"maskedSum" expected ${round.length} slots, got ${maskedSum.length}`);
  const t = round.modulus;
  const acc = maskAccumulator(round.length);
  for (const seed of survivorSelfSeeds) addMask(acc, -1, seed, t);
  for (const { survivor, dropped, seed } of orphanPairs)
    addMask(acc, pairSign(survivor, dropped) === 1n ? -1 : 1, seed, t);
  const out = maskedSum.map((v, i) => v + accumulated(acc, i));
  return out.map((v) => centred(mod(v, t), t));
}

/** The representative of `v` (in [0, t)) in (-t/2, t/2]. */
export function centred(v: bigint, t: bigint): bigint {
  return v > t / 2n ? v - t : v;
}
