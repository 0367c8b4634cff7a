import type Database from 'better-sqlite3';
import { appendLedgerEntry } from './append.ts';
import { ledgerSize } from './list.ts';

/**
 * Every signed checkpoint covers a multiple of this many entries (docs/audit.md "Checkpoint
 * padding"). The coordinator sees each checkpoint's treeSize; the ledger has one entry per
 * consent change, erasure and import, so an unpadded size difference counts them exactly.
 * Padded, it learns for each interval between checkpoints only ceil(n / 64) of its n new entries.
 * Why 64: between two checkpoints, one customer's consent change or erasure looks the same as 64
 * of them, while a checkpoint costs at most 63 padding entries (measured: 13.4 KB and 4.4 CPU ms,
 * docs/audit.md), paid only when there are new entries, at most hourly plus once per release.
 * A power of two puts every checkpoint on a complete subtree of height 6, which the Merkle cache
 * keeps anyway (MERKLE_MIN_LEVEL = 4, ledger/merkle.ts).
 */
export const CHECKPOINT_BUCKET = 64;

/**
 * Appends `padding` entries until the ledger size is a multiple of CHECKPOINT_BUCKET, with time
 * `at`, and returns how many it appended (0 to CHECKPOINT_BUCKET - 1). Callers run it in the
 * checkpoint's transaction, so no other entry can land between the padding and the signature.
 */
export function padLedgerToBucket(db: Database.Database, at: Date): number {
  const missing = (CHECKPOINT_BUCKET - (ledgerSize(db) % CHECKPOINT_BUCKET)) % CHECKPOINT_BUCKET;
  for (let i = 0; i < missing; i++)
    // Body {}, no subject, no payload: the only padding the verifiers accept (ledger/_chain-row.ts).
    appendLedgerEntry(db, { type: 'padding', body: {}, at });
  return missing;
}
