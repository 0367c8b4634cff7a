/**
 * Internal: mapping between ledger rows and LedgerEntry values, and the hash rules of
 * protocol/src/schemas/ledger.ts. Bodies and private payloads are stored as JSON text, so they
 * must survive a JSON round trip unchanged (no bigint, bytes, NaN or -0): assertJsonSafe checks
 * that at append time, which is what lets verifyLedger recompute every hash from the rows alone.
 */
import { createHash, hash } from 'node:crypto';
import {
  withCanonicalBytes,
  type Canonical,
  type LedgerEntry,
  type LedgerEntryType,
} from '@fedmark/protocol';

export interface LedgerRow {
  seq: number;
  type: string;
  at: string;
  subject: string | null;
  body: string;
  commitment: string | null;
  prev_hash: string;
  hash: string;
}

export function assertJsonSafe(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0))
      throw new RangeError(`"${path}" is not JSON-safe: ${String(value)}`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value))
      throw new RangeError(`"${path}" integer outside the safe range`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      assertJsonSafe(v, `${path}[${i}]`);
    });
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) assertJsonSafe(v, `${path}.${k}`);
    }
    return;
  }
  throw new TypeError(
    `"${path}" is not JSON-safe (${typeof value}); ledger bodies hold plain JSON only`
  );
}

/**
 * SHA-256 via node:crypto: the same function as @noble's sha256, several times faster for
 * 1M-entry verification. The one-shot crypto.hash (Node >= 20.12) skips the Hash object that
 * createHash builds per call, which was a quarter of a 1M-entry verify (bench node-store).
 */
function sha256Hex(prefix: Uint8Array | null, bytes: Uint8Array): string {
  if (prefix === null) return hash('sha256', bytes, 'hex');
  return createHash('sha256').update(prefix).update(bytes).digest('hex');
}

export interface HashedFields {
  seq: number;
  type: LedgerEntryType | string;
  at: string;
  subject: string | null;
  body: Record<string, Canonical>;
  commitment: string | null;
  prevHash: string;
}

/** hash = SHA-256(canonicalBytes('ledger-entry', {seq,type,at,subject,body,commitment,prevHash})). */
export function entryHash(f: HashedFields): string {
  const value = {
    seq: f.seq,
    type: f.type,
    at: f.at,
    subject: f.subject,
    body: f.body,
    commitment: f.commitment,
    prevHash: f.prevHash,
  };
  return withCanonicalBytes('ledger-entry', value, (bytes) => sha256Hex(null, bytes));
}

/** commitment = SHA-256(salt || canonicalBytes('ledger-private', payload)). */
export function privateCommitment(salt: Uint8Array, payload: Canonical): string {
  return withCanonicalBytes('ledger-private', payload, (bytes) => sha256Hex(salt, bytes));
}

export function rowToEntry(row: LedgerRow): LedgerEntry {
  return {
    seq: row.seq,
    type: row.type as LedgerEntryType,
    at: row.at,
    subject: row.subject,
    body: JSON.parse(row.body) as Record<string, unknown>,
    commitment: row.commitment,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
