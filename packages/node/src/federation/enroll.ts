import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ENROLL_DOMAIN,
  EnrollResponseSchema,
  ProtocolError,
  PublicKeyHexSchema,
  TlsFingerprintSchema,
  coordinatorFetch,
  enrollSigningPayload,
  hexToBytes,
  signCanonical,
} from '@fedmark/protocol';
import { loadIdentity, publicIdentity, type NodePublicIdentity } from '../identity/index.ts';
import { createCoordinatorClient, type FetchFn } from './client.ts';

/** Written after enrollment: which coordinator admitted this node and the coordinator's signing key. */
export const COORDINATOR_FILE = 'coordinator.json';

export interface EnrollNodeOptions {
  dir: string;
  coordinatorUrl: string;
  /** One-time enrollment token from the operator (64 hex characters). */
  token: string;
  /** The coordinator's TLS key pin (`sha256:<hex>`, from its operator); required for https. */
  tlsFingerprint?: string;
  fetch?: FetchFn;
}

export interface EnrollResult extends NodePublicIdentity {
  coordinatorKey: string;
}

/**
 * Presents the node's public keys with a one-time operator token (`POST /v1/enroll`, signed by
 * the node's Ed25519 key) and records the coordinator's key in `<dir>/coordinator.json`.
 */
export async function enrollNode(opts: EnrollNodeOptions): Promise<EnrollResult> {
  if (!/^[0-9a-f]{64}$/.test(opts.token))
    throw new ProtocolError(
      'BAD_REQUEST',
      'enrollment token: expected 64 lower-case hex characters'
    );
  const identity = loadIdentity(opts.dir);
  const pub = publicIdentity(identity);
  const payload = {
    name: pub.name,
    signingKey: pub.signingKey,
    boxKey: pub.boxKey,
    token: opts.token,
  };
  const signature = signCanonical(
    ENROLL_DOMAIN,
    enrollSigningPayload(payload),
    identity.signing.secretKey
  );
  const client = createCoordinatorClient({
    coordinatorUrl: opts.coordinatorUrl,
    fetch: opts.fetch ?? coordinatorFetch(opts.coordinatorUrl, opts.tlsFingerprint),
  });
  const res = await client.request(
    'POST',
    '/v1/enroll',
    { version: 1, ...payload, signature },
    EnrollResponseSchema
  );
  if (res.name !== pub.name)
    throw new ProtocolError(
      'CONFLICT',
      `coordinator enrolled "${res.name}", not this node "${pub.name}"`
    );
  pinCoordinator(opts.dir, opts.coordinatorUrl, res.coordinatorKey, opts.tlsFingerprint);
  return { ...pub, coordinatorKey: res.coordinatorKey };
}

/**
 * Pins the coordinator's signing key in `<dir>/coordinator.json`: from then on the node checks
 * the coordinator's receipts for its checkpoints against it, and the audit uses it instead of the
 * key the coordinator reports about itself. Enrollment pins the key it was answered with; a
 * node admitted by its keys pins the key the operator gave it (`fedmark node pin-coordinator`).
 * The TLS key pin, when given, is what every later connection to the coordinator must present
 * (docs/operations.md "TLS").
 */
export function pinCoordinator(
  dir: string,
  coordinatorUrl: string,
  coordinatorKey: string,
  tlsFingerprint?: string
): void {
  PublicKeyHexSchema.parse(coordinatorKey);
  if (tlsFingerprint !== undefined) TlsFingerprintSchema.parse(tlsFingerprint);
  const file = join(dir, COORDINATOR_FILE);
  const record = {
    version: 1,
    url: coordinatorUrl,
    coordinatorKey,
    ...(tlsFingerprint !== undefined ? { tlsFingerprint } : {}),
    enrolledAt: new Date().toISOString(),
  };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The operator command that admits this node by its public keys (for manual admission). */
export function admissionCommand(dir: string): string {
  const pub = publicIdentity(loadIdentity(dir));
  return `fedmark coordinator admit --dir <coordinator dir> --name ${pub.name} --signing-key ${pub.signingKey} --box-key ${pub.boxKey}`;
}

const CoordinatorFileSchema = z.object({
  version: z.literal(1),
  url: z.string(),
  coordinatorKey: PublicKeyHexSchema,
  tlsFingerprint: TlsFingerprintSchema.optional(),
  enrolledAt: z.string(),
});

/** The coordinator this node pinned (enrollment or pin-coordinator), or undefined (none, or an unreadable file). */
export function pinnedCoordinator(
  dir: string
): { url: string; coordinatorKey: string; tlsFingerprint?: string } | undefined {
  const file = join(dir, COORDINATOR_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const { url, coordinatorKey, tlsFingerprint } = CoordinatorFileSchema.parse(
      JSON.parse(readFileSync(file, 'utf8'))
    );
    return { url, coordinatorKey, ...(tlsFingerprint !== undefined ? { tlsFingerprint } : {}) };
  } catch {
    return undefined;
  }
}

/** The coordinator's signing key recorded at enrollment or pinning, or undefined. */
export function loadCoordinatorKey(dir: string): Uint8Array | undefined {
  const pinned = pinnedCoordinator(dir);
  return pinned ? hexToBytes(pinned.coordinatorKey) : undefined;
}
