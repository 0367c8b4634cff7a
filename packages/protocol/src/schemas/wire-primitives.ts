import { z } from 'zod';

/**
 * The wire primitives every protocol schema builds on (keys, signatures, bounded base64, decimal
 * integers, timestamps, key ids). Their own file so that schemas/federation.ts and
 * schemas/secagg.ts can both use them without importing each other.
 */

/** 32-byte public key (Ed25519 or X25519), lower-case hex. */
export const PublicKeyHexSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'expected a 32-byte key as 64 lower-case hex characters');
/** 64-byte Ed25519 signature, lower-case hex. */
export const SignatureHexSchema = z
  .string()
  .regex(/^[0-9a-f]{128}$/, 'expected a 64-byte signature as 128 lower-case hex characters');

/**
 * Largest base64 blob accepted (characters). A BFV ciphertext for N = 8192 with the 218-bit
 * default modulus is 2 x 8192 x 5 x 8 B = 640 KiB raw, ~220-450 KiB after SEAL's zstd
 * compression (seeded symmetric ciphertexts about half); public keys are the same order.
 * 2 Mi characters (1.5 MiB of bytes) leaves room without letting one field eat the body limit.
 */
export const MAX_BLOB_BASE64_CHARS = 2 * 1024 * 1024;
/** At most 64 ciphertexts per submission: 64 x 8192 = 524288 slots, far above any layout we build. */
export const MAX_CIPHERTEXTS = 64;
/** Largest layout (slots) a decryption may carry: MAX_CIPHERTEXTS whole ciphertexts of 8192 slots. */
export const MAX_LAYOUT_SLOTS = MAX_CIPHERTEXTS * 8192;

/** Standard base64 (RFC 4648 §4, padded), bounded so a hostile body cannot allocate without limit. */
export const Base64Schema = z
  .string()
  .min(4, 'expected non-empty base64')
  .max(MAX_BLOB_BASE64_CHARS, `base64 blob longer than ${MAX_BLOB_BASE64_CHARS} characters`)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected standard base64')
  .refine((s) => s.length % 4 === 0, 'base64 length must be a multiple of 4');

/** Decimal signed integer as text (BigInt-safe): aggregate slot values after signed decoding. */
export const DecimalIntSchema = z
  .string()
  .regex(/^-?(0|[1-9][0-9]{0,39})$/, 'expected a decimal integer');

export const IsoTimestampSchema = z.string().datetime({ offset: false });

export const KeyIdSchema = z.string().regex(/^k[1-9][0-9]{0,8}$/, 'expected a key id like k3');

/** Noise switch of a job: 'off-test-only' is honoured only by nodes whose policy allows it. */
export const NOISE_MODES = ['on', 'off-test-only'] as const;
export const NoiseModeSchema = z.enum(NOISE_MODES);
export type NoiseMode = z.infer<typeof NoiseModeSchema>;
