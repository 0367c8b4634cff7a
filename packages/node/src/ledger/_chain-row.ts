/**
 * Internal: the per-row rules of the ledger hash chain. The node's verifyLedger (verify.ts) and
 * the auditor's ChainVerifier (audit/chain.ts) both apply exactly these, so a report names the
 * same first bad entry, in the same words, whichever way the rows were read.
 */
import { LEDGER_ENTRY_TYPES, type Canonical } from '@fedmark/protocol';
import { entryHash, privateCommitment } from './_row.ts';

/** A ledger row as read for checking: `body` is its stored JSON text (the hash covers its parse). */
export interface ChainRow {
  seq: number;
  type: string;
  at: string;
  subject: string | null;
  body: string;
  commitment: string | null;
  prevHash: string;
  hash: string;
}

/** A row's salted private payload (stored JSON text), where the reader can see it. */
export interface ChainRowPrivate {
  salt: Uint8Array;
  payload: string;
}

/** Where the chain breaks and why. */
export interface ChainBreak {
  firstBadSeq: number;
  reason: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const TYPES: ReadonlySet<string> = new Set(LEDGER_ENTRY_TYPES);
const AT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Returns why `row` is malformed on its own (before any hashing), or null. The two hash fields
 * are checked only when they fail to match (hashFieldProblem): a hash equal to a recomputed
 * digest and a prevHash equal to the previous entry's checked hash are 64 hex already, and
 * skipping two regular expressions per entry is a tenth of a 1M-entry verify (bench node-store).
 */
function shapeProblem(row: ChainRow): string | null {
  if (!TYPES.has(row.type)) return `unknown entry type "${row.type}"`;
  if (typeof row.at !== 'string' || !AT_RE.test(row.at))
    return 'timestamp is not ISO 8601 UTC with milliseconds';
  if (row.subject !== null && !HEX64.test(row.subject)) return 'subject is not a 64-hex pseudonym';
  if (row.commitment !== null && !HEX64.test(row.commitment)) return 'commitment is not 64 hex';
  return null;
}

const hashFieldProblem = (row: ChainRow): ChainBreak | null =>
  HEX64.test(row.prevHash) && HEX64.test(row.hash)
    ? null
    : { firstBadSeq: row.seq, reason: 'hash fields are not 64 hex' };

/**
 * A padding entry must record nothing (docs/audit.md "Checkpoint padding"): empty body, no
 * subject, no private payload. Otherwise it could carry activity the audit does not count,
 * since padding is skipped wherever entries are read as events.
 */
function paddingProblem(row: ChainRow, body: Record<string, Canonical>): string | null {
  if (row.type !== 'padding') return null;
  if (row.subject !== null || row.commitment !== null || Object.keys(body).length > 0)
    return `entry ${row.seq} is padding but carries content (padding has body {}, no subject, no commitment)`;
  return null;
}

/** Parses a stored body; null unless it is a JSON object. */
export function parseLedgerBody(text: string): Record<string, Canonical> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, Canonical>)
      : null;
  } catch {
    return null;
  }
}

/**
 * Checks `row` as the entry `expected`, following an entry that hashed to `prevHash`, and its
 * private payload if given. The first bad entry is named:
 * - a gap in seq names the missing seq;
 * - a row whose own hash does not recompute was edited (or moved: seq is inside the hash);
 * - a row whose hash recomputes but whose prevHash differs from its predecessor's hash means the
 *   predecessor was edited and re-hashed, so the predecessor is named;
 * - a private payload that does not open its commitment names its row.
 * Returns null when the row extends the chain.
 */
export function chainRowBreak(
  row: ChainRow,
  priv: ChainRowPrivate | null | undefined,
  expected: number,
  prevHash: string
): ChainBreak | null {
  if (row.seq !== expected)
    return {
      firstBadSeq: expected,
      reason: `entry ${expected} is missing (next present entry is ${row.seq})`,
    };
  const problem = shapeProblem(row);
  const body = parseLedgerBody(row.body);
  if (problem !== null || body === null)
    return {
      firstBadSeq: row.seq,
      reason: problem ?? hashFieldProblem(row)?.reason ?? 'body is not a JSON object',
    };
  const recomputed = entryHash({
    seq: row.seq,
    type: row.type,
    at: row.at,
    subject: row.subject,
    body,
    commitment: row.commitment,
    prevHash: row.prevHash,
  });
  if (recomputed !== row.hash)
    return (
      hashFieldProblem(row) ?? {
        firstBadSeq: row.seq,
        reason: `entry ${row.seq} was altered: its content no longer matches its hash`,
      }
    );
  if (row.prevHash !== prevHash) {
    const malformed = hashFieldProblem(row);
    if (malformed) return malformed;
    const culprit = Math.max(0, row.seq - 1);
    return {
      firstBadSeq: culprit,
      reason: `entry ${culprit} was altered or replaced: entry ${row.seq} links to a different hash`,
    };
  }
  // After the hash and link: an edited padding entry is reported as altered, like any entry.
  const padding = paddingProblem(row, body);
  if (padding !== null) return { firstBadSeq: row.seq, reason: padding };
  if (priv) {
    let payload: Canonical | undefined;
    try {
      payload = JSON.parse(priv.payload) as Canonical;
    } catch {
      payload = undefined;
    }
    if (
      row.commitment === null ||
      payload === undefined ||
      privateCommitment(priv.salt, payload) !== row.commitment
    ) {
      return {
        firstBadSeq: row.seq,
        reason: `entry ${row.seq}: private payload does not match its commitment`,
      };
    }
  }
  return null;
}
