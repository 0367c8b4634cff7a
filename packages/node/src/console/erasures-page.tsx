import { Badge, Empty } from '@fedmark/protocol/console';
import type { AuditCheck } from '../audit/index.ts';
import { listLedger } from '../ledger/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { EntryCells, EntryHeads, EntryLink, PseudonymLink } from './_format.tsx';
import { RunInfo, runAudit, type AuditRun } from './verification-page.tsx';

/** The audit check that no release after an erasure used the erased pseudonym (docs/audit.md). */
export const ERASURE_CHECK = 'erasure_honoured';

export interface ErasureRow {
  seq: number;
  at: string;
  pseudonym: string | null;
  rowsDeleted: number | null;
  reason: string | null;
}

export interface ErasuresModel {
  erasures: ErasureRow[];
  /** The audit's erasure check, or null when this build's audit has none. */
  check: AuditCheck | null;
  /** What the audit says instead when it has no such check (its notes about erasures). */
  notes: string[];
  run: AuditRun;
}

/** Erasure tombstones from the ledger (pseudonyms only) and the audit's erasure check. */
export async function loadErasures(
  ctx: NodeConsoleContext,
  opts: { rerun?: boolean } = {}
): Promise<ErasuresModel> {
  const erasures = listLedger(ctx.db, { type: 'erasure' })
    .reverse()
    .map((e) => ({
      seq: e.seq,
      at: e.at,
      pseudonym: e.subject,
      rowsDeleted: typeof e.body['rowsDeleted'] === 'number' ? e.body['rowsDeleted'] : null,
      reason: typeof e.body['reason'] === 'string' ? e.body['reason'] : null,
    }));
  const run = await runAudit(ctx, opts);
  const report = run.report;
  // Compared as a string: the check is new in the audit module and may not be in every build.
  const check = report.checks.find((c) => (c.check as string) === ERASURE_CHECK) ?? null;
  return {
    erasures,
    check,
    notes: check ? [] : report.notes.filter((n) => /erasure/i.test(n)),
    run,
  };
}

export function ErasuresView(p: { model: ErasuresModel; base: string }) {
  const { erasures, check, notes } = p.model;
  return (
    <>
      <section class="card">
        <h2>Releases after erasures</h2>
        {check ? (
          <p>
            {check.ok ? (
              <Badge tone="good" testId="erasure-check">
                PASSED
              </Badge>
            ) : (
              <Badge tone="bad" testId="erasure-check">
                FAILED
              </Badge>
            )}{' '}
            {check.detail}
            {check.firstBadSeq !== undefined ? (
              <>
                {' '}
                (entry{' '}
                <EntryLink base={p.base} seq={check.firstBadSeq}>
                  #{check.firstBadSeq}
                </EntryLink>
                )
              </>
            ) : null}
          </p>
        ) : (
          <p>
            <Badge tone="warn" testId="erasure-check">
              NOT CHECKED
            </Badge>{' '}
            {notes[0] ??
              'This audit has no check that releases after an erasure left the erased customer out.'}
          </p>
        )}
        <RunInfo run={p.model.run} base={p.base} page="erasures" />
      </section>
      <h2>Erasure log</h2>
      {erasures.length === 0 ? (
        <Empty>No customer has been erased.</Empty>
      ) : (
        <table data-testid="erasures-table">
          <caption class="muted">
            Newest first. Each erasure deleted every raw row about the customer; the ledger keeps
            only this pseudonymous tombstone.
          </caption>
          <thead>
            <tr>
              <EntryHeads />
              <th scope="col">Pseudonym</th>
              <th class="num" scope="col">
                Rows deleted
              </th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {erasures.map((e) => (
              <tr>
                <EntryCells base={p.base} seq={e.seq} at={e.at} />
                <td>
                  <PseudonymLink value={e.pseudonym} base={p.base} />
                </td>
                <td class="num">{e.rowsDeleted ?? ''}</td>
                <td>{e.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
