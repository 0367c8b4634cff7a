import { Empty } from '@fedmark/protocol/console';
import { consentSummary, type ConsentSummaryRow } from '../consent/index.ts';
import { listLedger } from '../ledger/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { EntryLink, Time } from './_format.tsx';

export interface LawfulBasisRow {
  seq: number;
  at: string;
  purpose: string;
  basis: string;
  customers: number | null;
  newlyCovered: number | null;
}

export interface ConsentsModel {
  at: string;
  summary: ConsentSummaryRow[];
  /** lawful_basis_declared ledger entries, newest first (GDPR Art. 6(1) bases other than consent). */
  lawfulBases: LawfulBasisRow[];
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Per purpose: customers covered now and withdrawn (consentSummary), and the declared lawful bases. */
export function loadConsents(ctx: NodeConsoleContext): ConsentsModel {
  const at = ctx.now();
  const lawfulBases = listLedger(ctx.db, { type: 'lawful_basis_declared' })
    .reverse()
    .map((e) => ({
      seq: e.seq,
      at: e.at,
      purpose: str(e.body['purpose']),
      basis: str(e.body['basis']),
      customers: num(e.body['customers']),
      newlyCovered: num(e.body['newlyCovered']),
    }));
  return { at: at.toISOString(), summary: consentSummary(ctx.db, at), lawfulBases };
}

export function ConsentsView(p: { model: ConsentsModel; base: string }) {
  return (
    <>
      <p class="muted">
        As of <Time iso={p.model.at} />. A computation for a purpose uses only the customers whose
        consent (or declared lawful basis) for it is in force at that moment.
      </p>
      <table data-testid="consents-table">
        <thead>
          <tr>
            <th scope="col">Purpose</th>
            <th class="num" scope="col">
              Customers in force
            </th>
            <th class="num" scope="col">
              Customers revoked
            </th>
          </tr>
        </thead>
        <tbody>
          {p.model.summary.map((r) => (
            <tr>
              <td>{r.purpose}</td>
              <td class="num">{r.inForce}</td>
              <td class="num">{r.revoked}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Lawful bases other than consent</h2>
      {p.model.lawfulBases.length === 0 ? (
        <Empty>No lawful basis has been declared: every purpose rests on consent.</Empty>
      ) : (
        <table data-testid="lawful-bases-table">
          <thead>
            <tr>
              <th class="num" scope="col">
                Seq
              </th>
              <th scope="col">Declared at (UTC)</th>
              <th scope="col">Purpose</th>
              <th scope="col">Basis</th>
              <th class="num" scope="col">
                Customers in the file
              </th>
              <th class="num" scope="col">
                Newly covered
              </th>
            </tr>
          </thead>
          <tbody>
            {p.model.lawfulBases.map((l) => (
              <tr>
                <td class="num">
                  <EntryLink base={p.base} seq={l.seq}>
                    {l.seq}
                  </EntryLink>
                </td>
                <td>
                  <Time iso={l.at} />
                </td>
                <td>{l.purpose}</td>
                <td>{l.basis}</td>
                <td class="num">{l.customers ?? ''}</td>
                <td class="num">{l.newlyCovered ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
