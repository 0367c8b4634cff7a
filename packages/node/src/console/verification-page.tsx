import { performance } from 'node:perf_hooks';
import { Badge, Empty, Facts } from '@fedmark/protocol/console';
import { auditNode, type AuditCheck, type AuditReport } from '../audit/index.ts';
import {
  ledgerSize,
  listLedger,
  listLedgerCheckpoints,
  type StoredCheckpoint,
} from '../ledger/index.ts';
import { loadPolicy, policyHash } from '../policy/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { EntryLink, formatDuration, ShortHex, Time } from './_format.tsx';

/** Stored checkpoints listed on the page (newest first); an hourly node stores ~8,800 a year. */
export const CHECKPOINTS_SHOWN = 50;

export interface AuditRun {
  report: AuditReport;
  /** Wall-clock time of the recomputation, shown so an auditor knows what a rerun costs. */
  elapsedMs: number;
  /** When the recomputation ran (a cached run is shown with its own time, never as "now"). */
  ranAt: string;
  /** True when this run was reused from an earlier page view (see AUDIT_REUSE_MS). */
  reused: boolean;
}

export interface VerificationModel extends AuditRun {
  /** Hash of the newest ledger entry (the chain head), null for an empty ledger. */
  chainHead: string | null;
  checkpoints: StoredCheckpoint[];
  checkpointsTotal: number;
}

/**
 * How long a run is reused while the ledger head, checkpoints and policy are unchanged. The
 * recomputation is synchronous and takes ~25 s on a 1M-entry ledger (docs/audit.md "Costs"),
 * blocking the node's server meanwhile; the verification and erasure pages share one run, and
 * "Verify again" (?rerun=1) always recomputes. A row edited in place keeps the key, which is why
 * a reused run says when it ran.
 */
export const AUDIT_REUSE_MS = 60_000;

const LAST_RUN = new WeakMap<object, { key: string; at: number; run: AuditRun }>();

function auditKey(ctx: NodeConsoleContext): string {
  const size = ledgerSize(ctx.db);
  const head = size > 0 ? (listLedger(ctx.db, { fromSeq: size - 1, limit: 1 })[0]?.hash ?? '') : '';
  const cps = listLedgerCheckpoints(ctx.db);
  return `${size}:${head}:${cps.length}:${cps.filter((c) => c.receipt !== null).length}:${policyHash(loadPolicy(ctx.dir))}`;
}

/**
 * The audit module's local verification (chain recomputation, Merkle tree from the rows,
 * checkpoint signatures, roots, consistency and receipts, budgets, erasures). The coordinator's
 * log is not consulted here: that needs its auditor token (`fedmark audit verify --coordinator`).
 */
export async function runAudit(
  ctx: NodeConsoleContext,
  opts: { rerun?: boolean } = {}
): Promise<AuditRun> {
  const key = auditKey(ctx);
  const last = LAST_RUN.get(ctx.db);
  const nowMs = ctx.now().getTime();
  if (!opts.rerun && last && last.key === key && nowMs - last.at < AUDIT_REUSE_MS)
    return { ...last.run, reused: true };
  const t0 = performance.now();
  const report = await auditNode({ dir: ctx.dir, db: ctx.db, at: ctx.now() });
  const run: AuditRun = {
    report,
    elapsedMs: performance.now() - t0,
    ranAt: new Date(nowMs).toISOString(),
    reused: false,
  };
  LAST_RUN.set(ctx.db, { key, at: nowMs, run });
  return run;
}

export async function loadVerification(
  ctx: NodeConsoleContext,
  opts: { rerun?: boolean } = {}
): Promise<VerificationModel> {
  const run = await runAudit(ctx, opts);
  const size = run.report.ledgerSize;
  const last = size > 0 ? listLedger(ctx.db, { fromSeq: size - 1, limit: 1 })[0] : undefined;
  const all = listLedgerCheckpoints(ctx.db);
  return {
    ...run,
    chainHead: last?.hash ?? null,
    checkpoints: all.slice(-CHECKPOINTS_SHOWN).reverse(),
    checkpointsTotal: all.length,
  };
}

/** "Recomputed ... in 12 ms" or, for a reused run, when it ran; with a link that always reruns. */
export function RunInfo(p: { run: AuditRun; base: string; page: string }) {
  return (
    <p class="muted" data-testid="audit-run">
      {p.run.reused
        ? 'Result of the verification run at '
        : 'Recomputed from the ledger rows now, at '}
      <Time iso={p.run.ranAt} />
      {`, in ${formatDuration(p.run.elapsedMs)} (${p.run.report.ledgerSize} entries). `}
      <a href={`${p.base}/${p.page}?rerun=1`}>Verify again</a>
    </p>
  );
}

/** PASSED / FAILED with the first failing check and entry: the one line an auditor reads first. */
export function Verdict(p: { report: AuditReport; base: string }) {
  const f = p.report.firstFailure;
  if (f === null) {
    return (
      <p>
        <Badge tone="good" testId="verify-verdict">
          PASSED
        </Badge>{' '}
        every check passed over {p.report.ledgerSize} ledger entries.
      </p>
    );
  }
  return (
    <p>
      <Badge tone="bad" testId="verify-verdict">
        FAILED
      </Badge>{' '}
      first failing check <strong>{f.check}</strong>
      {f.firstBadSeq !== undefined ? (
        <>
          {' '}
          at ledger entry{' '}
          <EntryLink base={p.base} seq={f.firstBadSeq}>
            #{f.firstBadSeq}
          </EntryLink>
        </>
      ) : null}
      : {f.detail}
    </p>
  );
}

export function ChecksTable(p: { checks: readonly AuditCheck[]; base: string }) {
  return (
    <table data-testid="verify-checks">
      <thead>
        <tr>
          <th scope="col">Check</th>
          <th scope="col">Result</th>
          <th scope="col">First affected entry</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {p.checks.map((c) => (
          <tr>
            <td>
              <code>{c.check}</code>
            </td>
            <td>{c.ok ? <Badge tone="good">passed</Badge> : <Badge tone="bad">failed</Badge>}</td>
            <td>
              {c.firstBadSeq === undefined ? (
                ''
              ) : (
                <EntryLink base={p.base} seq={c.firstBadSeq}>
                  #{c.firstBadSeq}
                </EntryLink>
              )}
            </td>
            <td>{c.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CheckpointsTable(p: { checkpoints: readonly StoredCheckpoint[]; testId?: string }) {
  return (
    <table data-testid={p.testId}>
      <thead>
        <tr>
          <th class="num" scope="col">
            #
          </th>
          <th class="num" scope="col">
            Tree size
          </th>
          <th scope="col">Root hash</th>
          <th scope="col">Signed at (UTC)</th>
          <th scope="col">Coordinator receipt</th>
        </tr>
      </thead>
      <tbody>
        {p.checkpoints.map((s) => (
          <tr>
            <td class="num">{s.id}</td>
            <td class="num">{s.checkpoint.treeSize}</td>
            <td>
              <ShortHex value={s.checkpoint.rootHash} />
            </td>
            <td>
              <Time iso={s.checkpoint.timestamp} />
            </td>
            <td>
              {s.receipt ? (
                <Badge tone="good">{`yes, log index ${s.receipt.logIndex}`}</Badge>
              ) : (
                <Badge tone="warn">no</Badge>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function VerificationView(p: { model: VerificationModel; base: string }) {
  const { report } = p.model;
  return (
    <>
      <section class="card">
        <Verdict report={report} base={p.base} />
        <RunInfo run={p.model} base={p.base} page="verification" />
        <p class="muted">
          The coordinator's transparency log is checked by{' '}
          <code>fedmark audit verify --coordinator URL</code>.
        </p>
      </section>
      <h2>Current head</h2>
      <Facts
        items={[
          ['Node', report.node],
          ['Ledger entries', String(report.ledgerSize)],
          ['Of them checkpoint padding (records nothing)', String(report.paddingEntries)],
          [
            'Chain head (hash of the newest entry)',
            <ShortHex value={p.model.chainHead} testId="chain-head" />,
          ],
          ['Merkle root (RFC 6962)', <ShortHex value={report.merkleRoot} testId="merkle-root" />],
          ['Stored checkpoints', String(report.storedCheckpoints)],
        ]}
      />
      <h2>Checks</h2>
      <ChecksTable checks={report.checks} base={p.base} />
      {report.notes.length > 0 ? (
        <>
          <h2>Notes</h2>
          <ul>
            {report.notes.map((n) => (
              <li>{n}</li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Stored checkpoints</h2>
      {p.model.checkpoints.length === 0 ? (
        <Empty>
          No checkpoint signed yet: the node signs one at every release and at least hourly while it
          serves a coordinator.
        </Empty>
      ) : (
        <>
          {p.model.checkpointsTotal > p.model.checkpoints.length ? (
            <p class="muted">{`The newest ${p.model.checkpoints.length} of ${p.model.checkpointsTotal}.`}</p>
          ) : null}
          <CheckpointsTable checkpoints={p.model.checkpoints} testId="checkpoints-table" />
        </>
      )}
    </>
  );
}
