/**
 * Internal: small display helpers shared by the node console's pages. Long hex values are
 * shortened on screen with the full value in a tooltip (title), so a page stays readable while
 * an auditor can still copy the exact pseudonym or hash.
 */
import type { Child } from 'hono/jsx';
import { formatUtc, shortHex } from '@fedmark/protocol/console';

/** A time read as on the coordinator console ("2026-03-02 10:00:00 UTC"); the title keeps ms. */
export function Time(p: { iso: string }) {
  return (
    <time datetime={p.iso} title={p.iso}>
      {formatUtc(p.iso)}
    </time>
  );
}

/** A 64-hex pseudonym or hash shortened to its first 12 characters; the full value in title. */
export function ShortHex(p: { value: string | null; testId?: string }) {
  if (p.value === null) return <span class="muted">none</span>;
  return (
    <code title={p.value} data-testid={p.testId}>
      {shortHex(p.value, 12)}
    </code>
  );
}

/**
 * A link to ledger entry `seq` in the ledger browser: the page whose newest row is that entry
 * (the browser pages backwards with `before`, which is exclusive).
 */
export function EntryLink(p: { base: string; seq: number; children: Child }) {
  return <a href={`${p.base}/ledger?before=${p.seq + 1}`}>{p.children}</a>;
}

/** A pseudonym linking to every ledger entry about it (the ledger browser's pseudonym filter). */
export function PseudonymLink(p: { value: string | null; base: string }) {
  if (p.value === null) return <span class="muted">none</span>;
  return (
    <a href={`${p.base}/ledger?pseudonym=${p.value}`}>
      <ShortHex value={p.value} />
    </a>
  );
}

/** Epsilon with up to 6 significant digits (budgets are kept in exact micro-epsilon). */
export function formatEpsilon(eps: number): string {
  return Number.isInteger(eps) ? String(eps) : String(Number(eps.toPrecision(6)));
}

/** Milliseconds as "850 ms" or "12.4 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const MAX_SUMMARY = 160;

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v) ?? '';
}

/**
 * One line about a ledger body: "jobId=m-1; round=0; epsilonMicro=500000", cut at 160
 * characters. Rendered through JSX, so a body holding markup is shown as text, never parsed.
 */
export function bodySummary(body: Record<string, unknown>): { short: string; full: string } {
  const full = Object.entries(body)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join('; ');
  return { short: full.length > MAX_SUMMARY ? `${full.slice(0, MAX_SUMMARY - 1)}…` : full, full };
}

/** The two leading cells of a table of ledger entries: the seq, linked into the ledger, and the time. */
export function EntryCells(p: { base: string; seq: number; at: string }) {
  return (
    <>
      <td class="num">
        <EntryLink base={p.base} seq={p.seq}>
          {p.seq}
        </EntryLink>
      </td>
      <td>
        <Time iso={p.at} />
      </td>
    </>
  );
}

/** The matching header cells: "Seq" and "Time (UTC)". */
export function EntryHeads() {
  return (
    <>
      <th class="num" scope="col">
        Seq
      </th>
      <th scope="col">Time (UTC)</th>
    </>
  );
}
