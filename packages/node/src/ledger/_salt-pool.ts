/**
 * Internal: the 32-byte random salts of private ledger payloads (append.ts), cut from one
 * cryptographic draw of POOL_SALTS salts at a time. Each salt is used once: a pool is refilled,
 * never rewound. Why: a consents file writes one salted entry per consent, and a randomBytes
 * call per salt was a fifth of such an import (bench node-store, docs/scale.md); a single draw
 * from the same CSPRNG, split, gives independent uniform salts.
 */
import { randomFillSync } from 'node:crypto';

const SALT_BYTES = 32;
const POOL_SALTS = 256;

let pool = new Uint8Array(0);
let next = 0;

/** A fresh salt of 32 random bytes, not shared with any other caller. */
export function randomSalt(): Uint8Array {
  if (next === pool.length) {
    pool = randomFillSync(new Uint8Array(SALT_BYTES * POOL_SALTS));
    next = 0;
  }
  // A copy, so the stored salt does not keep the pool's buffer alive.
  const salt = pool.slice(next, next + SALT_BYTES);
  // And none left behind once handed out (an erasure deletes the stored salt).
  pool.fill(0, next, next + SALT_BYTES);
  next += SALT_BYTES;
  return salt;
}
