/**
 * @fedmark/protocol: the contract between node and coordinator. Wire schemas (zod), canonical
 * encoding, hashing and signatures, error codes, and the segment-query layout.
 *
 * @example
 * import { signCanonical, verifyCanonical, generateSigningKeyPair } from '@fedmark/protocol';
 * const kp = generateSigningKeyPair();
 * const sig = signCanonical('submission', { jobId: 'j1', round: 0 }, kp.secretKey);
 * verifyCanonical('submission', { jobId: 'j1', round: 0 }, sig, kp.publicKey); // true
 */
export * from './version.ts';
export * from './errors.ts';
export * from './encoding.ts';
export * from './hashing.ts';
export * from './signing.ts';
export * from './hybrid-seal.ts';
export * from './layout.ts';
export * from './schemas/common.ts';
export * from './schemas/segment-query.ts';
export * from './schemas/policy.ts';
export * from './schemas/ledger.ts';
export * from './schemas/federation.ts';
export * from './schemas/round-binding.ts';
export * from './schemas/secagg.ts';
export * from './schemas/policy-summary.ts';
export * from './schemas/job-spec-input.ts';
export * from './policy/evaluate-round.ts';
export * from './secagg/index.ts';
export * from './dp/index.ts';
export * from './auth/index.ts';
export * from './he/index.ts';
export * from './merkle/index.ts';
export * from './results/index.ts';
export * from './model/index.ts';
export * from './cli-exit.ts';
export * from './schemas/checkpoints.ts';
export * from './schemas/public-keys.ts';
export * from './store-integrity.ts';
export * from './dir-backup.ts';
export * from './tls/index.ts';
export * from './ready-line.ts';
export * from './http-retry.ts';
export * from './request-body.ts';
export * from './logging.ts';
export * from './psi/index.ts';
export * from './overlap/index.ts';
export * from './clv/index.ts';
