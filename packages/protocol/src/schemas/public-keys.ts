import { z } from 'zod';
import { TlsFingerprintSchema } from '../tls/fingerprint.ts';
import { IdSchema } from './common.ts';
import { PublicKeyHexSchema } from './federation.ts';

/**
 * Public-key files the parties hand each other out of band when a node joins by admission
 * rather than with an enrollment token (docs/federation-protocol.md, "Admission"): the node's
 * team sends `fedmark node keys --out` to the operator, who admits it with `coordinator admit
 * --keys`; the operator sends `fedmark coordinator keys --out` back, and the node pins it with
 * `node pin-coordinator --keys`. They hold public keys only.
 */
export const NodePublicKeysFileSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('fedmark-node-public-keys'),
    name: IdSchema,
    signingKey: PublicKeyHexSchema,
    boxKey: PublicKeyHexSchema,
  })
  .strict();
export type NodePublicKeysFile = z.infer<typeof NodePublicKeysFileSchema>;

export const CoordinatorPublicKeyFileSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('fedmark-coordinator-public-key'),
    signingKey: PublicKeyHexSchema,
    /** The coordinator's TLS key pin (docs/operations.md "TLS"); absent in files made before TLS. */
    tlsFingerprint: TlsFingerprintSchema.optional(),
  })
  .strict();
export type CoordinatorPublicKeyFile = z.infer<typeof CoordinatorPublicKeyFileSchema>;
