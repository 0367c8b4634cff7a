import { pseudonymFor } from '../identity/identity.ts';
import { appendLedgerEntries, type AppendLedgerInput } from '../ledger/append.ts';
import { fieldParsers } from './_field-parser.ts';
import { COLUMNS, CONSENT_FIELDS } from './formats.ts';
import { mapHeader } from './_header.ts';
import type { KindWriter, WriterContext } from './_writer.ts';

/** Default `source` for consent rows whose file has no source column or an empty cell. */
export const DEFAULT_CONSENT_SOURCE = 'consents_file';

/** Ledger entries written at a time: one savepoint and head lookup per batch, not per entry. */
const LEDGER_BATCH = 512;

/**
 * Writes consent records. Every new record is also a consent_granted / consent_revoked ledger
 * entry (subject = pseudonym), so an auditor sees each consent change, not just a file hash;
 * the entries are written LEDGER_BATCH at a time, inside the import's transaction.
 * A record already present (same customer, purpose, time, status, source) changes nothing.
 */
export function consentsWriter(ctx: WriterContext): KindWriter {
  const insert = ctx.db.prepare(
    'INSERT OR IGNORE INTO consents (customer, purpose, time, status, source) VALUES (?, ?, ?, ?, ?)'
  );
  let f: ReturnType<typeof fieldParsers<typeof CONSENT_FIELDS>> | null = null;
  let inserted = 0;
  let unchanged = 0;
  // In file order; written before the import's own entry (finish runs first).
  let entries: AppendLedgerInput[] = [];
  const writeEntries = (): void => {
    if (entries.length === 0) return;
    appendLedgerEntries(ctx.db, entries);
    entries = [];
  };
  return {
    header(cells) {
      f = fieldParsers(
        CONSENT_FIELDS,
        mapHeader(cells, { ...COLUMNS.consents, allowExtra: false })
      );
    },
    record(cells) {
      const p = f as NonNullable<typeof f>;
      const r = {
        customer_id: p.customer_id(cells),
        purpose: p.purpose(cells),
        status: p.status(cells),
        time: p.time(cells),
        source: p.source(cells),
      };
      const customer = ctx.resolver.resolve(r.customer_id);
      if (customer === null) return;
      ctx.noteCustomer?.(customer);
      const source = r.source === '' ? DEFAULT_CONSENT_SOURCE : r.source;
      if (insert.run(customer, r.purpose, r.time, r.status, source).changes === 0) {
        unchanged++;
        return;
      }
      inserted++;
      entries.push({
        type: r.status === 'granted' ? 'consent_granted' : 'consent_revoked',
        subject: pseudonymFor(ctx.identity, r.customer_id),
        body: { purpose: r.purpose, effectiveAt: new Date(r.time).toISOString() },
        // A source can name people (a clerk, a form): erasable, off the chain (docs/node-data.md).
        // The default label names nobody, and bulk files without a source column skip the cost.
        ...(source === DEFAULT_CONSENT_SOURCE ? {} : { privatePayload: { source } }),
      });
      if (entries.length >= LEDGER_BATCH) writeEntries();
    },
    finish() {
      writeEntries();
    },
    get inserted() {
      return inserted;
    },
    // Events, touches and consents are not keyed by customer: a row is new or already there.
    changed: 0,
    get unchanged() {
      return unchanged;
    },
  };
}
