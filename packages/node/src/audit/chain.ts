import { GENESIS_HASH } from '@fedmark/protocol';
import { chainRowBreak } from '../ledger/_chain-row.ts';
import type { LedgerRowForm } from './source.ts';

/** Parses a stored body; null unless it is a JSON object (the chain's own rule). */
export { parseLedgerBody as parseBody } from '../ledger/_chain-row.ts';

export type ChainResult =
  | { ok: true; size: number; head: string }
  | { ok: false; size: number; firstBadSeq: number; reason: string };

/**
 * The auditor's chain check, fed one row at a time (rows arrive from a database or pages of the
 * node API). The same rules and messages as the node's verifyLedger (ledger/verify.ts), so the
 * report names the same first bad entry whichever way the rows were read: an entry whose own
 * hash does not recompute was edited, a link to a different hash names the predecessor, a gap
 * names the missing seq. Private payloads are checked against their commitment when given.
 */
export class ChainVerifier {
  private expected = 0;
  private prevHash = GENESIS_HASH;
  private rows = 0;
  private failure: { firstBadSeq: number; reason: string } | null = null;

  /** Feeds the next row; false once the chain has failed (later rows are only counted). */
  push(row: LedgerRowForm): boolean {
    this.rows++;
    if (this.failure) return false;
    const broken = chainRowBreak(row, row.private, this.expected, this.prevHash);
    if (broken) {
      this.failure = broken;
      return false;
    }
    this.prevHash = row.hash;
    this.expected++;
    return true;
  }

  result(): ChainResult {
    if (this.failure) return { ok: false, size: this.rows, ...this.failure };
    return { ok: true, size: this.expected, head: this.prevHash };
  }
}

/** The node's one RFC 6962 leaf hash (ledger/merkle.ts), re-exported for the audit's trees. */
export { fastLeafHash } from '../ledger/merkle.ts';
