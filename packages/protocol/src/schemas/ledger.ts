import { z } from 'zod';
import { Hash256Schema } from './common.ts';

/**
 * Ledger entry types (docs/node-data.md "The ledger"). The set is closed: an auditor's verifier
 * refuses an unknown type rather than skipping it.
 */
export const LEDGER_ENTRY_TYPES = [
  'node_initialized',
  'import',
  'consent_granted',
  'consent_revoked',
  'lawful_basis_declared',
  'erasure',
  'policy_change',
  'job_accepted',
  'job_refused',
  'release',
  // The exact own-model comparison behind a train job's check-round bit (docs/models.md §6): both
  // AUCs on the node's validation customers; it never leaves the node (only the noised bit does).
  'model_check',
  'budget_reset',
  'key_ceremony',
  // Pinned membership (docs/federation-protocol.md "Key ceremony"): a key epoch's member set
  // proposed by the coordinator and waiting for the admin, accepted (auto or approved), refused.
  'members_pending',
  'members_accepted',
  'members_refused',
  'checkpoint',
  // A decryption of a round's aggregate, once per job round, and a refused second request for
  // another contributor set (docs/federation-protocol.md "Decrypt once").
  'decryption',
  'decryption_refused',
  // Secure aggregation (docs/secure-aggregation.md "Round phases"): this node's setup of a round
  // (participants and threshold it shared its mask secrets among), its one unmask answer per
  // round, and a refused request to answer other survivor and dropped sets for that round.
  'secagg_setup',
  'secagg_unmask',
  'secagg_unmask_refused',
  // An audience built for activation in the institution's own channels (docs/decide.md
  // "Audiences"): its rule's hash, the count and a commitment to the customers; it never leaves the node.
  'audience',
  // Checkpoint padding (docs/audit.md "Checkpoint padding"): appended before a checkpoint is
  // signed so its treeSize is a multiple of a fixed bucket. Body {}, no subject, no commitment:
  // it records nothing, so it is not activity.
  'padding',
] as const;
export const LedgerEntryTypeSchema = z.enum(LEDGER_ENTRY_TYPES);
export type LedgerEntryType = z.infer<typeof LedgerEntryTypeSchema>;

/**
 * One ledger entry as hashed, signed (via checkpoints) and shown to auditors. It never holds a
 * raw customer id: `subject` is a keyed pseudonym (HMAC-SHA256 with the node pepper), and any
 * detail that could identify someone lives in a private side table as (salt, payload), committed
 * here by `commitment` = SHA-256(salt || canonical(payload)). Erasure deletes the side row; the
 * entry, its hash and every Merkle proof still verify.
 *
 * hash = canonicalHash('ledger-entry', { seq, type, at, subject, body, commitment, prevHash })
 * The Merkle leaf for checkpoints (RFC 6962) is the canonical bytes of that same object plus hash.
 */
export const LedgerEntrySchema = z.object({
  seq: z.number().int().min(0),
  type: LedgerEntryTypeSchema,
  /** ISO 8601 UTC timestamp with milliseconds. */
  at: z.string().datetime({ offset: false }),
  subject: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  /** Non-personal facts about the event (counts, hashes, epsilon, reasons). */
  body: z.record(z.string(), z.unknown()),
  commitment: Hash256Schema.nullable(),
  /** Hash of the previous entry; 64 zeros for seq 0. */
  prevHash: Hash256Schema,
  hash: Hash256Schema,
});
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

export const GENESIS_HASH = '0'.repeat(64);
