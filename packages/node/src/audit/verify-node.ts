import type Database from 'better-sqlite3';
import {
  ProtocolError,
  bytesToHex,
  hexToBytes,
  receiptMatchesCheckpoint,
  verifyCheckpoint,
  verifyCheckpointReceipt,
  type CheckpointReceipt,
  type CheckpointSigned,
  type LedgerEntry,
} from '@fedmark/protocol';
import { ledgerEntryLeafHash } from '../ledger/index.ts';
import { ChainVerifier, parseBody } from './chain.ts';
import { checkErasuresHonoured } from './erasure-check.ts';
import { checkUnitsSorted } from './units-sorted.ts';
import {
  COMPLIANCE_ENTRY_TYPES,
  complianceFromEntries,
  type ComplianceReport,
} from './compliance.ts';
import { readCoordinatorView, type AuditFetch, type CoordinatorView } from './coordinator-view.ts';
import { TreeRecomputer } from './recompute.ts';
import {
  anchorsOf,
  compareRoots,
  consecutive,
  coordinatorChecks,
  errorText,
  fail,
  pass,
} from './checkpoint-checks.ts';
import { locateChange } from '../ledger/locate.ts';
import { directorySource } from './source-directory.ts';
import type { LedgerSource } from './source.ts';

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
  'units_sorted',
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
  /** Of ledgerSize, the `padding` entries before checkpoints, which record nothing (docs/audit.md). */
  paddingEntries: number;
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
  /**
   * Also read every committed unit list in full (`units_sorted`: strict order, count, root), the
   * premise of erasure_honoured's proofs. O(n) hashing per release; node directory only.
   */
  deep?: boolean;
}

/**
 * `fedmark audit verify`: recomputes the chain and the Merkle tree from the rows, checks every
 * stored checkpoint (signature, root, consistency with the next, the coordinator's receipt),
 * and with a coordinator checks that the node's checkpoints are in its log and that the current
 * ledger still extends them: the only check a rewritten history with a valid chain cannot pass.
 */
export async function auditNode(opts: AuditOptions): Promise<AuditReport> {
  const source =
    opts.source ??
    (opts.dir !== undefined && opts.db !== undefined ? directorySource(opts.dir, opts.db) : null);
  if (source === null) throw new TypeError('auditNode needs "source", or "dir" and "db"');
  // Refused before any row is read: only a node directory offers whole unit lists.
  if (opts.deep && !source.unitList)
    throw new ProtocolError(
      'BAD_REQUEST',
      `--deep reads the committed unit lists, which only a node directory offers (this audit reads ${source.label})`
    );
  const at = opts.at ?? new Date();
  const facts = await source.facts();
  const nodeKey = opts.nodeKey ?? facts.signingKey;
  if (opts.nodeKey && bytesToHex(opts.nodeKey) !== bytesToHex(facts.signingKey)) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `the node reports signing key ${bytesToHex(facts.signingKey).slice(0, 16)}…, not the pinned key ${bytesToHex(opts.nodeKey).slice(0, 16)}…`
    );
  }
  const pinnedCoordinatorKey = facts.coordinatorKey ?? undefined;
  const identity = { name: facts.name };
  const notes: string[] = [];
  const checks: AuditCheck[] = [];
  if (source.kind === 'api') {
    notes.push(
      `audited through the node API at ${source.label}: private-payload commitments are not checked (the API serves no personal data)`
    );
    if (!opts.nodeKey)
      notes.push(
        'node key as reported by the node API (pin it with --node-key to rule out a substituted key)'
      );
  }

  let view: CoordinatorView | null = null;
  let viewError: string | null = null;
  if (opts.coordinator) {
    try {
      view = await readCoordinatorView(
        opts.coordinator.url,
        opts.coordinator.token,
        identity.name,
        opts.coordinator.fetch
      );
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
  let paddingEntries = 0;
  for await (const row of source.rows()) {
    chainCheck.push(row);
    if (row.type === 'padding') paddingEntries++;
    const body = parseBody(row.body);
    if (body === null) builder.stop();
    else {
      const entry = {
        seq: row.seq,
        type: row.type as LedgerEntry['type'],
        at: row.at,
        subject: row.subject,
        body,
        commitment: row.commitment,
        prevHash: row.prevHash,
        hash: row.hash,
      };
      builder.push(row.seq, ledgerEntryLeafHash(entry));
      if (COMPLIANCE_ENTRY_TYPES.has(row.type)) entries.push(entry);
    }
    if (opts.onProgress && (row.seq + 1) % 10_000 === 0) opts.onProgress(row.seq + 1);
  }
  const tree = builder.finish();
  const chain = chainCheck.result();
  const chainBad = chain.ok ? undefined : chain.firstBadSeq;
  checks.push(
    chain.ok
      ? pass('chain', `${chain.size} entries, every hash and link recomputes`)
      : fail('chain', chain.reason, chain.firstBadSeq)
  );

  // Local checkpoints: signatures, roots, consistency between consecutive ones, receipts.
  const badSig = stored.find(
    (s) => s.checkpoint.origin !== identity.name || !verifyCheckpoint(s.checkpoint, nodeKey)
  );
  checks.push(
    badSig
      ? fail(
          'checkpoint_signatures',
          `stored checkpoint #${badSig.id} (${badSig.checkpoint.treeSize} entries) is not signed by ${identity.name}'s key`
        )
      : pass(
          'checkpoint_signatures',
          `${stored.length} stored checkpoint(s) signed by ${identity.name}`
        )
  );
  const coordinatorKey =
    pinnedCoordinatorKey ?? (view ? hexToBytes(view.head.coordinatorKey) : undefined);
  // The coordinator's log, when read, also proves prefixes intact (ledger/locate.ts).
  checks.push(
    compareRoots(
      'checkpoint_roots',
      'stored',
      anchorsOf(stored, coordinatorKey),
      tree,
      chainBad,
      anchorsOf(
        (view?.checkpoints ?? []).filter((l) => l.receipt.logIndex === l.logIndex),
        coordinatorKey
      )
    )
  );
  checks.push(
    consecutive(
      'checkpoint_consistency',
      'stored',
      stored.map((s) => s.checkpoint),
      tree,
      chainBad
    )
  );
  const withReceipt = stored.filter((s) => s.receipt !== null);
  if (withReceipt.length > 0 && !coordinatorKey)
    notes.push(
      'receipt signatures not checked: no coordinator.json in the node directory and no --coordinator'
    );
  const badReceipt = withReceipt.find(
    (s) =>
      s.receipt === null ||
      !receiptMatchesCheckpoint(s.receipt, s.checkpoint) ||
      (coordinatorKey !== undefined && !verifyCheckpointReceipt(s.receipt, coordinatorKey))
  );
  checks.push(
    badReceipt
      ? fail(
          'receipts',
          `the receipt of stored checkpoint #${badReceipt.id} does not match it or is not signed by the coordinator`
        )
      : pass(
          'receipts',
          `${withReceipt.length} receipt(s) match their checkpoints${coordinatorKey ? ' and carry the coordinator signature' : ''}`
        )
  );
  const what = state?.signed ? "node's signed current head" : "node's persisted Merkle state";
  if (state === null) checks.push(pass('merkle_state', 'no persisted Merkle state yet'));
  else if (
    state.signed &&
    (state.signed.origin !== identity.name || !verifyCheckpoint(state.signed, nodeKey))
  )
    checks.push(fail('merkle_state', `the ${what} is not signed by ${identity.name}'s key`));
  else if (state.size > tree.size)
    checks.push(
      fail(
        'merkle_state',
        `the ${what} covers ${state.size} entries but only ${tree.size} are readable`,
        chainBad ?? tree.size
      )
    );
  else if (tree.rootsAt.get(state.size) !== state.root) {
    // The state is the node's word only; the checkpoints say how much of its prefix is intact.
    const at = locateChange(
      `the ${what}`,
      [{ treeSize: state.size, rootHash: state.root, timestamp: 'unsigned', trusted: false }],
      [
        ...anchorsOf(stored, coordinatorKey),
        ...anchorsOf(
          (view?.checkpoints ?? []).filter((l) => l.receipt.logIndex === l.logIndex),
          coordinatorKey
        ),
      ],
      tree.size,
      (n) => tree.rootsAt.get(n)
    );
    checks.push(
      fail(
        'merkle_state',
        `the ${what} (${state.size} entries) disagrees with the rows: entries changed after they were hashed${at ? `: ${at.where}` : ''}`,
        chainBad ?? at?.firstBadSeq
      )
    );
  } else checks.push(pass('merkle_state', `${what} (${state.size} entries) agrees with the rows`));

  if (opts.coordinator)
    checks.push(
      ...(await coordinatorChecks(
        view,
        viewError,
        identity.name,
        nodeKey,
        pinnedCoordinatorKey,
        stored.map((s) => s),
        tree,
        chainBad,
        notes
      ))
    );

  const policy = await source.policy();
  const compliance = complianceFromEntries(
    entries,
    policy,
    await source.consents(at),
    await source.budgets(at),
    at
  );
  const over = compliance.purposes.flatMap((p) =>
    p.periods.filter((x) => x.overCap && !x.resetInPeriod).map((x) => ({ p: p.purpose, x }))
  )[0];
  checks.push(
    over
      ? fail(
          'budget',
          `${over.p}: ${over.x.spentEpsilon} epsilon spent in ${over.x.period} ${over.x.periodKey}, over the cap of ${over.x.capEpsilon}`,
          over.x.firstOverCapSeq ?? undefined
        )
      : pass('budget', 'every period stays within its policy cap (or had a recorded budget reset)')
  );
  const releases = entries.filter((e) => e.type === 'release');
  const erasure = await checkErasuresHonoured(
    { erasures: entries.filter((e) => e.type === 'erasure'), releases },
    source.units
  );
  checks.push(
    erasure.ok
      ? pass('erasure_honoured', erasure.detail)
      : fail('erasure_honoured', erasure.detail, erasure.firstBadSeq)
  );
  if (opts.deep) {
    const sorted = checkUnitsSorted(releases, (seq) => source.unitList?.(seq) ?? null);
    checks.push(
      sorted.ok
        ? pass('units_sorted', sorted.detail)
        : fail('units_sorted', sorted.detail, sorted.firstBadSeq)
    );
  } else if (erasure.proven > 0) {
    notes.push(
      "erasure_honoured's proofs assume each release's committed unit list is sorted, as the node says; --deep (node directory) checks every list in full"
    );
  }
  if (erasure.noCommitment.length > 0) {
    notes.push(
      `no commitment: release entr${erasure.noCommitment.length === 1 ? 'y' : 'ies'} ${erasure.noCommitment.join(', ')} (after an erasure) record no units commitment (made before commitments existed, or a data step that does not report its units), so they cannot be checked against erasures`
    );
  }

  const firstFailure = checks.find((c) => !c.ok) ?? null;
  return {
    ok: firstFailure === null,
    node: identity.name,
    source: { kind: source.kind, label: source.label },
    ledgerSize: tree.size,
    paddingEntries,
    merkleRoot: tree.root,
    storedCheckpoints: stored.length,
    checkpoints: [...stored]
      .sort((a, b) => a.checkpoint.treeSize - b.checkpoint.treeSize)
      .map((s) => ({ checkpoint: s.checkpoint, receipt: s.receipt })),
    coordinator:
      view && opts.coordinator
        ? {
            url: opts.coordinator.url,
            logSize: view.head.head.treeSize,
            nodeCheckpoints: view.checkpoints.length,
          }
        : null,
    checks,
    firstFailure,
    compliance,
    notes,
  };
}
