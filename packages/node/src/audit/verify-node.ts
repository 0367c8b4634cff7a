import type Database from 'better-sqlite3';
import {
  ProtocolError,
  bytesToHex,
  checkpointLeafHash,
  hexToBytes,
  isProtocolError,
  receiptMatchesCheckpoint,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyCheckpointReceipt,
  verifyInclusion,
  type Checkpoint,
  type CheckpointReceipt,
  type CheckpointSigned,
  type LedgerEntry,
} from '@fedmark/protocol';
import { ledgerEntryLeafBytes } from '../ledger/index.ts';
import { ChainVerifier, fastLeafHash, parseBody } from './chain.ts';
import { checkErasuresHonoured } from './erasure-check.ts';
import { COMPLIANCE_ENTRY_TYPES, complianceFromEntries, type ComplianceReport } from './compliance.ts';
import { readCoordinatorView, type AuditFetch, type CoordinatorView } from './coordinator-view.ts';
import { TreeRecomputer, type RecomputedTree } from './recompute.ts';
import { directorySource } from './source-directory.ts';
import type { LedgerSource, StoredCheckpointForm } from './source.ts';

/** The checks, in the order they run and are reported. */
export const AUDIT_CHECKS = [
  'chain',
  'checkpoint_signatures',
  'checkpoint_roots',
  'checkpoint_consistency',
  'receipts',
  'merkle_state',
  'coordinator_head',
  'coordinator_checkpoints',
  'coordinator_inclusion',
  'coordinator_consistency',
  'budget',
  'erasure_honoured',
] as const;
export type AuditCheckName = (typeof AUDIT_CHECKS)[number];

export interface AuditCheck {
  check: AuditCheckName;
  ok: boolean;
  detail: string;
  /** First ledger entry the failure affects (or the lowest one it can be, see detail). */
  firstBadSeq?: number;
}

export interface AuditReport {
  ok: boolean;
  node: string;
  /** What was audited: a node directory or the node's auditor API. */
  source: { kind: 'directory' | 'api'; label: string };
  ledgerSize: number;
  merkleRoot: string;
  storedCheckpoints: number;
  /** The node's stored checkpoints (by size) with the coordinator's receipt, when it has one. */
  checkpoints: { checkpoint: CheckpointSigned; receipt: CheckpointReceipt | null }[];
  coordinator: { url: string; logSize: number; nodeCheckpoints: number } | null;
  checks: AuditCheck[];
  /** The first failing check (in AUDIT_CHECKS order), or null. */
  firstFailure: AuditCheck | null;
  compliance: ComplianceReport;
  notes: string[];
}

export interface AuditOptions {
  /** The input: a LedgerSource, or a node directory and its open database. */
  source?: LedgerSource;
  dir?: string;
  db?: Database.Database;
  /** Pinned node signing key: the audit refuses a source reporting another. */
  nodeKey?: Uint8Array;
  coordinator?: { url: string; token: string; fetch?: AuditFetch };
  at?: Date;
  onProgress?: (done: number) => void;
}

const pass = (check: AuditCheckName, detail: string): AuditCheck => ({ check, ok: true, detail });
const fail = (check: AuditCheckName, detail: string, firstBadSeq?: number): AuditCheck => ({
  check,
  ok: false,
  detail,
  ...(firstBadSeq === undefined ? {} : { firstBadSeq }),
});

/**
 * Compares checkpoints (sorted by size) with the recomputed tree; fails at the first that the
 * ledger no longer matches. A mismatch at size S after a match at size L means some entry in
 * [L, S) changed: the tree cannot say which, so L is named as the lowest possible.
 */
function compareRoots(check: AuditCheckName, who: string, cps: readonly Checkpoint[], tree: RecomputedTree, chainBad?: number): AuditCheck {
  let matched = 0;
  for (const cp of [...cps].sort((a, b) => a.treeSize - b.treeSize)) {
    if (cp.treeSize > tree.size) {
      return fail(check, `${who} checkpoint of ${cp.treeSize} entries (${cp.timestamp}) but the ledger has only ${tree.size} readable entries: entries were deleted or truncated`, chainBad ?? tree.size);
    }
    if (tree.rootsAt.get(cp.treeSize) !== cp.rootHash) {
      const where = chainBad ?? matched;
      return fail(
        check,
        `${who} checkpoint of ${cp.treeSize} entries (${cp.timestamp}) does not match the ledger: an entry in [${matched}, ${cp.treeSize}) was changed${matched > 0 ? ` (the checkpoint of ${matched} entries still matches)` : ''}`,
        where
      );
    }
    matched = cp.treeSize;
  }
  return pass(check, `${cps.length} ${who} checkpoint(s) match the recomputed tree`);
}

function errorText(err: unknown): string {
  if (isProtocolError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * `fedmark audit verify`: recomputes the chain and the Merkle tree from the rows, checks every
 * stored checkpoint (signature, root, consistency with the next, the coordinator's receipt),
 * and with a coordinator checks that the node's checkpoints are in its log and that the current
 * ledger still extends them: the only check a rewritten history with a valid chain cannot pass.
 */
export async function auditNode(opts: AuditOptions): Promise<AuditReport> {
  const source = opts.source ?? (opts.dir !== undefined && opts.db !== undefined ? directorySource(opts.dir, opts.db) : null);
  if (source === null) throw new TypeError('auditNode needs "source", or "dir" and "db"');
  const at = opts.at ?? new Date();
  const facts = await source.facts();
  const nodeKey = opts.nodeKey ?? facts.signingKey;
  if (opts.nodeKey && bytesToHex(opts.nodeKey) !== bytesToHex(facts.signingKey)) {
    throw new ProtocolError('BAD_REQUEST', `the node reports signing key ${bytesToHex(facts.signingKey).slice(0, 16)}…, not the pinned key ${bytesToHex(opts.nodeKey).slice(0, 16)}…`);
  }
  const pinnedCoordinatorKey = facts.coordinatorKey ?? undefined;
  const identity = { name: facts.name };
  const notes: string[] = [];
  const checks: AuditCheck[] = [];
  if (source.kind === 'api') {
    notes.push(`audited through the node API at ${source.label}: private-payload commitments are not checked (the API serves no personal data)`);
    if (!opts.nodeKey) notes.push("node key as reported by the node API (pin it with --node-key to rule out a substituted key)");
  }

  let view: CoordinatorView | null = null;
  let viewError: string | null = null;
  if (opts.coordinator) {
    try {
      view = await readCoordinatorView(opts.coordinator.url, opts.coordinator.token, identity.name, opts.coordinator.fetch);
    } catch (err) {
      viewError = errorText(err);
    }
  }

  const stored = await source.checkpoints();
  const sizes = new Set<number>(stored.map((s) => s.checkpoint.treeSize));
  for (const c of view?.checkpoints ?? []) sizes.add(c.checkpoint.treeSize);
  const state = await source.nodeHead();
  if (state) sizes.add(state.size);

  // One pass over the rows: the chain, the tree and the entries the compliance report reads.
  const chainCheck = new ChainVerifier();
  const builder = new TreeRecomputer(sizes, source.leafAccessor?.());
  const entries: LedgerEntry[] = [];
  for await (const row of source.rows()) {
    chainCheck.push(row);
    const body = parseBody(row.body);
    if (body === null) builder.stop();
    else {
      const entry = { seq: row.seq, type: row.type as LedgerEntry['type'], at: row.at, subject: row.subject, body, commitment: row.commitment, prevHash: row.prevHash, hash: row.hash };
      builder.push(row.seq, fastLeafHash(ledgerEntryLeafBytes(entry)));
      if (COMPLIANCE_ENTRY_TYPES.has(row.type)) entries.push(entry);
    }
    if (opts.onProgress && (row.seq + 1) % 10_000 === 0) opts.onProgress(row.seq + 1);
  }
  const tree = builder.finish();
  const chain = chainCheck.result();
  const chainBad = chain.ok ? undefined : chain.firstBadSeq;
  checks.push(chain.ok ? pass('chain', `${chain.size} entries, every hash and link recomputes`) : fail('chain', chain.reason, chain.firstBadSeq));

  // Local checkpoints: signatures, roots, consistency between consecutive ones, receipts.
  const badSig = stored.find((s) => s.checkpoint.origin !== identity.name || !verifyCheckpoint(s.checkpoint, nodeKey));
  checks.push(
    badSig
      ? fail('checkpoint_signatures', `stored checkpoint #${badSig.id} (${badSig.checkpoint.treeSize} entries) is not signed by ${identity.name}'s key`)
      : pass('checkpoint_signatures', `${stored.length} stored checkpoint(s) signed by ${identity.name}`)
  );
  checks.push(compareRoots('checkpoint_roots', 'stored', stored.map((s) => s.checkpoint), tree, chainBad));
  checks.push(consecutive('checkpoint_consistency', 'stored', stored.map((s) => s.checkpoint), tree, chainBad));
  const coordinatorKey = pinnedCoordinatorKey ?? (view ? hexToBytes(view.head.coordinatorKey) : undefined);
  const withReceipt = stored.filter((s) => s.receipt !== null);
  if (withReceipt.length > 0 && !coordinatorKey) notes.push('receipt signatures not checked: no coordinator.json in the node directory and no --coordinator');
  const badReceipt = withReceipt.find(
    (s) => s.receipt === null || !receiptMatchesCheckpoint(s.receipt, s.checkpoint) || (coordinatorKey !== undefined && !verifyCheckpointReceipt(s.receipt, coordinatorKey))
  );
  checks.push(
    badReceipt
      ? fail('receipts', `the receipt of stored checkpoint #${badReceipt.id} does not match it or is not signed by the coordinator`)
      : pass('receipts', `${withReceipt.length} receipt(s) match their checkpoints${coordinatorKey ? ' and carry the coordinator signature' : ''}`)
  );
  const what = state?.signed ? "node's signed current head" : "node's persisted Merkle state";
  if (state === null) checks.push(pass('merkle_state', 'no persisted Merkle state yet'));
  else if (state.signed && (state.signed.origin !== identity.name || !verifyCheckpoint(state.signed, nodeKey))) checks.push(fail('merkle_state', `the ${what} is not signed by ${identity.name}'s key`));
  else if (state.size > tree.size) checks.push(fail('merkle_state', `the ${what} covers ${state.size} entries but only ${tree.size} are readable`, chainBad ?? tree.size));
  else if (tree.rootsAt.get(state.size) !== state.root) checks.push(fail('merkle_state', `the ${what} (${state.size} entries) disagrees with the rows: entries changed after they were hashed`, chainBad));
  else checks.push(pass('merkle_state', `${what} (${state.size} entries) agrees with the rows`));

  if (opts.coordinator) checks.push(...(await coordinatorChecks(view, viewError, identity.name, nodeKey, pinnedCoordinatorKey, stored.map((s) => s), tree, chainBad, notes)));

  const policy = await source.policy();
  const compliance = complianceFromEntries(entries, policy, await source.consents(at), await source.budgets(at), at);
  const over = compliance.purposes.flatMap((p) => p.periods.filter((x) => x.overCap && !x.resetInPeriod).map((x) => ({ p: p.purpose, x })))[0];
  checks.push(
    over
      ? fail('budget', `${over.p}: ${over.x.spentEpsilon} epsilon spent in ${over.x.period} ${over.x.periodKey}, over the cap of ${over.x.capEpsilon}`, over.x.firstOverCapSeq ?? undefined)
      : pass('budget', 'every period stays within its policy cap (or had a recorded budget reset)')
  );
  const erasure = await checkErasuresHonoured({ erasures: entries.filter((e) => e.type === 'erasure'), releases: entries.filter((e) => e.type === 'release') }, source.units);
  checks.push(erasure.ok ? pass('erasure_honoured', erasure.detail) : fail('erasure_honoured', erasure.detail, erasure.firstBadSeq));
  if (erasure.noCommitment.length > 0) {
    notes.push(`no commitment: release entr${erasure.noCommitment.length === 1 ? 'y' : 'ies'} ${erasure.noCommitment.join(', ')} (after an erasure) record no units commitment (made before commitments existed, or a data step that does not report its units), so they cannot be checked against erasures`);
  }

  const firstFailure = checks.find((c) => !c.ok) ?? null;
  return {
    ok: firstFailure === null,
    node: identity.name,
    source: { kind: source.kind, label: source.label },
    ledgerSize: tree.size,
    merkleRoot: tree.root,
    storedCheckpoints: stored.length,
    checkpoints: [...stored].sort((a, b) => a.checkpoint.treeSize - b.checkpoint.treeSize).map((s) => ({ checkpoint: s.checkpoint, receipt: s.receipt })),
    coordinator: view && opts.coordinator ? { url: opts.coordinator.url, logSize: view.head.head.treeSize, nodeCheckpoints: view.checkpoints.length } : null,
    checks,
    firstFailure,
    compliance,
    notes,
  };
}

/** Consecutive checkpoints (by size) with RFC 9162 proofs from the recomputed tree. */
function consecutive(check: AuditCheckName, who: string, cps: readonly CheckpointSigned[], tree: RecomputedTree, chainBad?: number): AuditCheck {
  const sorted = [...cps].sort((a, b) => a.treeSize - b.treeSize || Date.parse(a.timestamp) - Date.parse(b.timestamp));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as CheckpointSigned;
    const next = sorted[i] as CheckpointSigned;
    let proof: string[];
    try {
      proof = prev.treeSize === 0 || prev.treeSize === next.treeSize ? [] : tree.consistency(prev.treeSize, next.treeSize);
    } catch (err) {
      return fail(check, `cannot prove ${who} checkpoint ${prev.treeSize} -> ${next.treeSize}: ${errorText(err)}`, chainBad ?? tree.size);
    }
    if (!verifyCheckpointConsistency(prev, next, proof)) {
      return fail(check, `${who} checkpoints of ${prev.treeSize} and ${next.treeSize} entries are not consistent (history changed between them)`, chainBad ?? prev.treeSize);
    }
  }
  return pass(check, `${Math.max(0, sorted.length - 1)} consecutive ${who} checkpoint pair(s) consistent`);
}

async function coordinatorChecks(
  view: CoordinatorView | null,
  viewError: string | null,
  node: string,
  nodeKey: Uint8Array,
  pinned: Uint8Array | undefined,
  stored: readonly StoredCheckpointForm[],
  tree: RecomputedTree,
  chainBad: number | undefined,
  notes: string[]
): Promise<AuditCheck[]> {
  if (!view) return [fail('coordinator_head', `could not read the coordinator's log: ${viewError ?? 'unknown error'}`)];
  const out: AuditCheck[] = [];
  const key = pinned ?? hexToBytes(view.head.coordinatorKey);
  if (!pinned) notes.push("coordinator key not pinned (no coordinator.json): using the key the coordinator reported");
  const headOk = verifyCheckpoint(view.head.head, key) && (!pinned || bytesToHex(pinned) === view.head.coordinatorKey);
  out.push(headOk ? pass('coordinator_head', `log head of ${view.head.head.treeSize} checkpoints signed by the coordinator`) : fail('coordinator_head', "the coordinator's log head is not signed by the coordinator key"));

  const logged = view.checkpoints;
  const badLogged = logged.find(
    (l) =>
      l.checkpoint.origin !== node ||
      !verifyCheckpoint(l.checkpoint, nodeKey) ||
      l.receipt.logIndex !== l.logIndex ||
      !receiptMatchesCheckpoint(l.receipt, l.checkpoint) ||
      !verifyCheckpointReceipt(l.receipt, key)
  );
  out.push(
    badLogged
      ? fail('coordinator_checkpoints', `logged checkpoint at index ${badLogged.logIndex} is not a valid ${node} checkpoint with its receipt`)
      : pass('coordinator_checkpoints', `${logged.length} checkpoint(s) of ${node} in the log, each signed by the node and receipted`)
  );

  const latest = logged[logged.length - 1];
  if (!latest) {
    out.push(fail('coordinator_inclusion', `the coordinator's log holds no checkpoint of ${node}`));
    return out;
  }
  // The newest logged checkpoint, and the one our newest receipt names, must be in the signed head.
  const targets = [latest];
  const lastReceipt = [...stored].reverse().find((s) => s.receipt !== null);
  if (lastReceipt?.receipt) {
    const named = logged.find((l) => l.logIndex === lastReceipt.receipt?.logIndex);
    if (!named || checkpointLeafHex(named.checkpoint) !== checkpointLeafHex(lastReceipt.checkpoint)) {
      out.push(fail('coordinator_inclusion', `the log does not hold, at index ${lastReceipt.receipt.logIndex}, the checkpoint the node's receipt names`));
      return out;
    }
    if (named !== latest) targets.push(named);
  }
  for (const t of targets) {
    const proof = await view.inclusion(t.logIndex, view.head.head.treeSize);
    const ok =
      headOk &&
      proof.leafHash === checkpointLeafHex(t.checkpoint) &&
      verifyInclusion(checkpointLeafHash(t.checkpoint), t.logIndex, view.head.head.treeSize, proof.proof.map(hexToBytes), hexToBytes(view.head.head.rootHash));
    if (!ok) {
      out.push(fail('coordinator_inclusion', `checkpoint at log index ${t.logIndex} is not provably included in the signed log head`));
      return out;
    }
  }
  out.push(pass('coordinator_inclusion', `latest checkpoint (${latest.checkpoint.treeSize} entries) included at log index ${latest.logIndex}`));

  // The current ledger must extend every logged checkpoint: the check a rewritten chain fails.
  const roots = compareRoots('coordinator_consistency', 'coordinator-logged', logged.map((l) => l.checkpoint), tree, chainBad);
  if (!roots.ok) {
    out.push(roots);
    return out;
  }
  const current: Checkpoint = { version: 1, origin: node, treeSize: tree.size, rootHash: tree.root, timestamp: maxTime(latest.checkpoint.timestamp) };
  const proof = latest.checkpoint.treeSize === 0 || latest.checkpoint.treeSize === tree.size ? [] : tree.consistency(latest.checkpoint.treeSize, tree.size);
  out.push(
    verifyCheckpointConsistency(latest.checkpoint, current, proof)
      ? pass('coordinator_consistency', `the ledger (${tree.size} entries) extends the latest logged checkpoint (${latest.checkpoint.treeSize} entries)`)
      : fail('coordinator_consistency', `the ledger does not extend the latest logged checkpoint of ${latest.checkpoint.treeSize} entries`, chainBad ?? 0)
  );
  return out;
}

const checkpointLeafHex = (cp: CheckpointSigned): string => bytesToHex(checkpointLeafHash(cp));
/** The current head is "now": never earlier than the checkpoint it is compared with. */
const maxTime = (t: string): string => new Date(Math.max(Date.now(), Date.parse(t))).toISOString();
