import { createHash } from 'node:crypto';
import { GENESIS_HASH, LEDGER_ENTRY_TYPES, type Canonical } from '@fedmark/protocol';
import { entryHash, privateCommitment } from '../ledger/_row.ts';
import type { LedgerRowForm } from './source.ts';

export type ChainResult = { ok: true; size: number; head: string } | { ok: false; size: number; firstBadSeq: number; reason: string };

const HEX64 = /^[0-9a-f]{64}$/;
const TYPES: ReadonlySet<string> = new Set(LEDGER_ENTRY_TYPES);
const AT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function shapeProblem(row: LedgerRowForm): string | null {
  if (!TYPES.has(row.type)) return `unknown entry type "${row.type}"`;
  if (typeof row.at !== 'string' || !AT_RE.test(row.at)) return 'timestamp is not ISO 8601 UTC with milliseconds';
  if (row.subject !== null && !HEX64.test(row.subject)) return 'subject is not a 64-hex pseudonym';
  if (row.commitment !== null && !HEX64.test(row.commitment)) return 'commitment is not 64 hex';
  if (!HEX64.test(row.prevHash) || !HEX64.test(row.hash)) return 'hash fields are not 64 hex';
  return null;
}

/** Parses a stored body; null unless it is a JSON object. */
export function parseBody(text: string): Record<string, Canonical> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, Canonical>) : null;
  } catch {
    return null;
  }
}

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
    const bad = (firstBadSeq: number, reason: string): boolean => {
      this.failure = { firstBadSeq, reason };
      return false;
    };
    if (row.seq !== this.expected) return bad(this.expected, `entry ${this.expected} is missing (next present entry is ${row.seq})`);
    const problem = shapeProblem(row);
    const body = parseBody(row.body);
    if (problem !== null || body === null) return bad(row.seq, problem ?? 'body is not a JSON object');
    const recomputed = entryHash({ seq: row.seq, type: row.type, at: row.at, subject: row.subject, body, commitment: row.commitment, prevHash: row.prevHash });
    if (recomputed !== row.hash) return bad(row.seq, `entry ${row.seq} was altered: its content no longer matches its hash`);
    if (row.prevHash !== this.prevHash) {
      const culprit = Math.max(0, row.seq - 1);
      return bad(culprit, `entry ${culprit} was altered or replaced: entry ${row.seq} links to a different hash`);
    }
    if (row.private) {
      let payload: Canonical | undefined;
      try {
        payload = JSON.parse(row.private.payload) as Canonical;
      } catch {
        payload = undefined;
      }
      if (row.commitment === null || payload === undefined || privateCommitment(row.private.salt, payload) !== row.commitment) {
        return bad(row.seq, `entry ${row.seq}: private payload does not match its commitment`);
      }
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

const LEAF_PREFIX = new Uint8Array([0]);

/** SHA-256(0x00 || bytes) with node:crypto (the RFC 6962 leaf hash; see ledger/merkle.ts). */
export function fastLeafHash(bytes: Uint8Array): Uint8Array {
  const h = createHash('sha256').update(LEAF_PREFIX).update(bytes).digest();
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}
