/**
 * Secure aggregation building blocks (docs/secure-aggregation.md): the PRG that expands mask
 * seeds, pairwise and self masks inside the BFV plaintext, and t-out-of-n sharing of the mask
 * secrets so a round survives nodes that drop after submitting.
 *
 * @example
 * const round = { jobId: 'j-1', round: 0, length: 3, modulus: 1152921504606584833n };
 * const kp = maskKeyPair();
 * const seed = pairSeed(round, 'bank', kp.secretKey, 'shop', shopMaskPublicKey);
 * const y = maskedInput(round, 'bank', [5n, -2n, 0n], selfSeed(round, 'bank', b), [{ peer: 'shop', seed }]);
 */
export { chacha20Keystream, expandMask } from './prg.ts';
export {
  SECAGG_PAIR_DOMAIN,
  SECAGG_SELF_DOMAIN,
  centred,
  maskKeyPair,
  maskPublicKeyOf,
  maskedInput,
  pairSeed,
  selfSeed,
  unmaskSum,
  type MaskRound,
} from './masks.ts';
export { recoverFrom, shareAmong } from './shamir.ts';
// The round phases built on them: a node's setup and masked input, a survivor's unmask answer,
// the coordinator's correction.
export * from './setup.ts';
export * from './unmask.ts';
