import { LEDGER_ENTRY_TYPES, type LedgerEntry, type LedgerEntryType } from '@fedmark/protocol';
import { Alert, Empty } from '@fedmark/protocol/console';
import type { NodeConsoleContext } from './context.ts';
import { bodySummary, PseudonymLink, ShortHex, Time } from './_format.tsx';
import {
  queryLedgerPage,
  type LedgerCursor,
  type LedgerFilter,
  type LedgerPageData,
} from './ledger-query.ts';

/** The filter form as typed (echoed back into the form) and any field it could not use. */
export interface LedgerForm {
  type: string;
  from: string;
  to: string;
  pseudonym: string;
}

export interface LedgerPageModel {
  form: LedgerForm;
  errors: string[];
  page: LedgerPageData;
}

const TYPES: ReadonlySet<string> = new Set(LEDGER_ENTRY_TYPES);
// datetime-local sends "YYYY-MM-DDTHH:MM" (seconds optional); a bare date means its midnight.
const TIME_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)?Z?$/;

/** A UTC time typed into the form as an ISO timestamp, or null when it is not a valid time. */
export function parseFormTime(value: string): string | null {
  if (!TIME_RE.test(value)) return null;
  const bare = value.endsWith('Z') ? value.slice(0, -1) : value;
  const ms = Date.parse(bare.includes('T') ? `${bare}Z` : `${bare}T00:00:00Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function cursorOf(q: Record<string, string | undefined>, errors: string[]): LedgerCursor {
  for (const key of ['after', 'before'] as const) {
    const v = q[key];
    if (v === undefined || v === '') continue;
    if (!/^\d{1,15}$/.test(v)) {
      errors.push(`"${key}": expected a ledger sequence number`);
      return null;
    }
    return key === 'after' ? { after: Number(v) } : { before: Number(v) };
  }
  return null;
}

/** Reads the GET form (type, from, to, pseudonym; after/before cursors) and loads one page. */
export function loadLedgerPage(
  ctx: NodeConsoleContext,
  q: Record<string, string | undefined>
): LedgerPageModel {
  const form: LedgerForm = {
    type: (q['type'] ?? '').trim(),
    from: (q['from'] ?? '').trim(),
    to: (q['to'] ?? '').trim(),
    pseudonym: (q['pseudonym'] ?? '').trim().toLowerCase(),
  };
  const errors: string[] = [];
  const filter: LedgerFilter = {};
  if (form.type !== '') {
    if (TYPES.has(form.type)) filter.type = form.type as LedgerEntryType;
    else
      errors.push(
        `"type": not a ledger entry type (expected one of ${LEDGER_ENTRY_TYPES.join(', ')})`
      );
  }
  for (const key of ['from', 'to'] as const) {
    if (form[key] === '') continue;
    const iso = parseFormTime(form[key]);
    if (iso === null) errors.push(`"${key}": expected a UTC date and time like 2026-03-02T10:00`);
    else if (key === 'from') filter.fromIso = iso;
    else filter.toIso = iso;
  }
  if (form.pseudonym !== '') {
    if (/^[0-9a-f]{1,64}$/.test(form.pseudonym)) filter.pseudonymPrefix = form.pseudonym;
    else errors.push('"pseudonym": expected the start of a pseudonym (1-64 hex characters)');
  }
  const cursor = cursorOf(q, errors);
  // A filter that cannot be applied must not silently widen the listing: show nothing instead.
  const page =
    errors.length > 0
      ? { entries: [], newerAfter: null, olderBefore: null }
      : queryLedgerPage(ctx.db, filter, cursor);
  return { form, errors, page };
}

function pageHref(base: string, form: LedgerForm, cursor: Record<string, number>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== '') params.set(k, v);
  for (const [k, v] of Object.entries(cursor)) params.set(k, String(v));
  return `${base}/ledger?${params.toString()}`;
}

function EntryRow(p: { e: LedgerEntry; base: string }) {
  const body = bodySummary(p.e.body);
  return (
    <tr id={`seq-${p.e.seq}`}>
      <td class="num">{p.e.seq}</td>
      <td>
        <Time iso={p.e.at} />
      </td>
      <td>{p.e.type}</td>
      <td>
        <PseudonymLink value={p.e.subject} base={p.base} />
      </td>
      <td title={body.full}>{body.short}</td>
      <td>
        <ShortHex value={p.e.hash} />
      </td>
    </tr>
  );
}

/** The ledger browser: a GET filter form, one page of entries newest first, newer/older links. */
export function LedgerView(p: { model: LedgerPageModel; base: string }) {
  const { form, errors, page } = p.model;
  const filtered = form.type !== '' || form.from !== '' || form.to !== '' || form.pseudonym !== '';
  return (
    <>
      {errors.map((e) => (
        <Alert kind="error">{`Filter not applied: ${e}`}</Alert>
      ))}
      <form class="filters" method="get" action={`${p.base}/ledger`} data-testid="ledger-filters">
        <label>
          Type
          <select name="type">
            <option value="" selected={form.type === ''}>
              any type
            </option>
            {LEDGER_ENTRY_TYPES.map((t) => (
              <option value={t} selected={form.type === t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (UTC, inclusive)
          <input type="datetime-local" name="from" value={form.from} step="1" />
        </label>
        <label>
          To (UTC, exclusive)
          <input type="datetime-local" name="to" value={form.to} step="1" />
        </label>
        <label>
          Pseudonym starts with
          <input
            type="text"
            name="pseudonym"
            value={form.pseudonym}
            maxlength={64}
            pattern="[0-9a-fA-F]{1,64}"
            spellcheck={false}
            autocomplete="off"
          />
        </label>
        <button type="submit">Filter</button>
        {filtered ? <a href={`${p.base}/ledger`}>Clear filters</a> : null}
      </form>
      {page.entries.length === 0 ? (
        <Empty>
          {filtered || errors.length > 0
            ? 'No ledger entries match these filters.'
            : 'The ledger has no entries on this page.'}
        </Empty>
      ) : (
        <table data-testid="ledger-table">
          <caption class="muted">
            Newest first. Subjects are keyed pseudonyms, never customer ids; hover a value for its
            full text. Checkpoint padding entries (they record nothing) are listed only under the
            type padding.
          </caption>
          <thead>
            <tr>
              <th class="num" scope="col">
                Seq
              </th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Type</th>
              <th scope="col">Pseudonym</th>
              <th scope="col">Body</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {page.entries.map((e) => (
              <EntryRow e={e} base={p.base} />
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="ledger pages">
        {page.newerAfter !== null ? (
          <a
            rel="prev"
            href={pageHref(p.base, form, { after: page.newerAfter })}
            data-testid="ledger-newer"
          >
            ← Newer
          </a>
        ) : null}{' '}
        {page.olderBefore !== null ? (
          <a
            rel="next"
            href={pageHref(p.base, form, { before: page.olderBefore })}
            data-testid="ledger-older"
          >
            Older →
          </a>
        ) : null}
      </nav>
    </>
  );
}
