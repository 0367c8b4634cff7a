import { readFileSync, statSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import {
  IdSchema,
  bytesToHex,
  hexToBytes,
  type BoxKeyPair,
  type SigningKeyPair,
} from '@fedmark/protocol';

/** Secret identity file inside the node dir; mode 0600, never logged. */
export const IDENTITY_FILE = 'identity.json';
export const POLICY_FILE = 'policy.json';

export interface NodeIdentity {
  name: string;
  signing: SigningKeyPair;
  box: BoxKeyPair;
  /** 32-byte key for customer pseudonyms (HMAC-SHA256); never leaves the node. */
  pepper: Uint8Array;
}

export interface NodePublicIdentity {
  name: string;
  /** Ed25519 public key, hex. */
  signingKey: string;
  /** X25519 public key, hex. */
  boxKey: string;
}

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes * 2} hex characters`);

export const IdentityFileSchema = z.object({
  version: z.literal(1),
  name: IdSchema,
  signing: z.object({ publicKey: hex(32), secretKey: hex(64) }),
  box: z.object({ publicKey: hex(32), secretKey: hex(32) }),
  pepper: hex(32),
  createdAt: z.string(),
});
export type IdentityFile = z.infer<typeof IdentityFileSchema>;

export function identityToFile(id: NodeIdentity, createdAt: Date): IdentityFile {
  return {
    version: 1,
    name: id.name,
    signing: {
      publicKey: bytesToHex(id.signing.publicKey),
      secretKey: bytesToHex(id.signing.secretKey),
    },
    box: { publicKey: bytesToHex(id.box.publicKey), secretKey: bytesToHex(id.box.secretKey) },
    pepper: bytesToHex(id.pepper),
    createdAt: createdAt.toISOString(),
  };
}

/**
 * Reads and validates `<dir>/identity.json`. Refuses a file readable by group or others: a
 * leaked pepper lets anyone re-identify the ledger's pseudonyms by hashing candidate ids.
 * Error messages name the file and the problem, never any key material.
 */
export function loadIdentity(dir: string): NodeIdentity {
  const file = join(dir, IDENTITY_FILE);
  let text: string;
  try {
    const st = statSync(file);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new Error(
        `${file}: permissions ${(st.mode & 0o777).toString(8)} are too open; the node identity holds secret keys (run: chmod 600 ${file})`
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `${file}: no node identity here (run "fedmark node init --dir ${dir} --name NAME" first)`
      );
    }
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file}: corrupt node identity (not valid JSON)`);
  }
  const parsed = IdentityFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new Error(
      `${file}: corrupt node identity: field "${where}" ${issue?.message ?? 'invalid'}`
    );
  }
  const f = parsed.data;
  const signingSecret = hexToBytes(f.signing.secretKey);
  // An Ed25519 secret key in tweetnacl form is seed || public key: check they belong together.
  if (bytesToHex(signingSecret.subarray(32)) !== f.signing.publicKey) {
    throw new Error(
      `${file}: corrupt node identity: signing public key does not match the secret key`
    );
  }
  return {
    name: f.name,
    signing: { publicKey: hexToBytes(f.signing.publicKey), secretKey: signingSecret },
    box: { publicKey: hexToBytes(f.box.publicKey), secretKey: hexToBytes(f.box.secretKey) },
    pepper: hexToBytes(f.pepper),
  };
}

export function publicIdentity(id: NodeIdentity): NodePublicIdentity {
  return {
    name: id.name,
    signingKey: bytesToHex(id.signing.publicKey),
    boxKey: bytesToHex(id.box.publicKey),
  };
}

/**
 * Keyed pseudonym of a customer: hex HMAC-SHA256(pepper, 'customer:' + id) (RFC 2104). The
 * 'customer:' prefix separates this use of the pepper from any later one. Stable for the life
 * of the node, so a tombstone can recognise an erased customer named again by a later import.
 */
export function pseudonymFor(identity: NodeIdentity, customerId: string): string {
  if (typeof customerId !== 'string' || customerId === '')
    throw new TypeError('"customerId" expected a non-empty string');
  return createHmac('sha256', identity.pepper)
    .update(`customer:${customerId}`, 'utf8')
    .digest('hex');
}
