import type {
  CheckpointReceipt,
  CheckpointSigned,
  LeafHashAccessor,
  Policy,
  Purpose,
} from '@fedmark/protocol';
import type { ChainRow, ChainRowPrivate } from '../ledger/_chain-row.ts';
import type { BudgetLine } from '../privacy/index.ts';
import type { UnitsProver } from './erasure-check.ts';

/**
 * A ledger row as stored: `body` is the stored JSON text (the chain hashes its parse, exactly as
 * the node's own verifier does). `private` is the salted payload behind `commitment`, only
 * where the auditor can read it (a node directory); the API never serves personal data.
 */
export interface LedgerRowForm extends ChainRow {
  private?: ChainRowPrivate | null;
}

export interface StoredCheckpointForm {
  id: number;
  checkpoint: CheckpointSigned;
  receipt: CheckpointReceipt | null;
}

export interface NodeFacts {
  name: string;
  /** The node's Ed25519 checkpoint key. */
  signingKey: Uint8Array;
  /** Coordinator key from the node's coordinator.json (its enrolment), if any. */
  coordinatorKey: Uint8Array | null;
}

export interface ConsentCounts {
  purpose: Purpose;
  inForce: number;
  revoked: number;
}

/** One budget rule's period now, in epsilon units: what `fedmark node budget` and GET /v1/budget report. */
export type CurrentBudget = BudgetLine;

/**
 * What `auditNode` reads, from a node directory (DirectorySource) or the node's auditor API
 * (HttpLedgerSource). Every check runs on these answers alone, so both inputs get the same
 * audit. Nothing here is trusted: rows are re-hashed, checkpoints and receipts re-verified,
 * proofs checked against roots taken from verified rows.
 */
export interface LedgerSource {
  /** 'directory' or 'api' (the report says which, and what the API form cannot check). */
  readonly kind: 'directory' | 'api';
  /** Where it reads from, for the report. */
  readonly label: string;
  facts(): Promise<NodeFacts>;
  /** Every ledger row in seq order (a gap or a repeated seq is passed on for the checks to find). */
  rows(): AsyncIterable<LedgerRowForm>;
  /** The node's stored checkpoints with their receipts. */
  checkpoints(): Promise<StoredCheckpointForm[]>;
  /**
   * What the node itself says its tree head is: the persisted Merkle state (directory) or a
   * freshly signed head (API). Null when it has none yet.
   */
  nodeHead(): Promise<{ size: number; root: string; signed: CheckpointSigned | null } | null>;
  policy(): Promise<Policy>;
  consents(at: Date): Promise<ConsentCounts[]>;
  /** The node's own budget accounting now, per purpose and period. */
  budgets(at: Date): Promise<CurrentBudget[]>;
  units: UnitsProver;
  /**
   * A release's whole committed unit list in stored order, or null when none is stored. Only a
   * node directory offers it (the API serves proofs, not lists); `--deep` audits use it.
   */
  unitList?(releaseSeq: number): Iterable<Uint8Array> | null;
  /** Leaf hashes by index, when the source can re-read them (else the audit keeps them in memory). */
  leafAccessor?(): LeafHashAccessor;
}
