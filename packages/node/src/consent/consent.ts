import type Database from 'better-sqlite3';
import {
  PURPOSES,
  ProtocolError,
  PurposeSchema,
  type LedgerEntry,
  type Purpose,
} from '@fedmark/protocol';
import { pseudonymFor, type NodeIdentity } from '../identity/identity.ts';
import { appendLedgerEntry } from '../ledger/append.ts';
import { CONSENT_IN_FORCE_SQL } from '../store/_consent-sql.ts';
import { CustomerIdSchema } from '../importing/formats.ts';

export interface ConsentChangeInput {
  customerId: string;
  purpose: Purpose;
  /** When the consent was given or withdrawn; default now. */
  time?: Date;
  /** Where it came from (e.g. web_form, call_centre, api). */
  source: string;
}

export interface ConsentChange {
  pseudonym: string;
  /** False when this exact record (customer, purpose, time, status, source) already existed. */
  recorded: boolean;
  entry: LedgerEntry | null;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the class deliberately excludes control characters so a consent source is printable text
const SOURCE_RE = /^[^\u0000-\u001f\u007f]{1,128}$/;

function validate(input: ConsentChangeInput): {
  customerId: string;
  purpose: Purpose;
  time: number;
  source: string;
} {
  const id = CustomerIdSchema.safeParse(input.customerId);
  if (!id.success)
    throw new ProtocolError(
      'BAD_REQUEST',
      `customerId: ${id.error.issues[0]?.message ?? 'invalid'}`
    );
  const purpose = PurposeSchema.safeParse(input.purpose);
  if (!purpose.success)
    throw new ProtocolError('BAD_REQUEST', `purpose: expected one of ${PURPOSES.join('|')}`);
  if (typeof input.source !== 'string' || !SOURCE_RE.test(input.source)) {
    throw new ProtocolError('BAD_REQUEST', 'source: expected 1-128 printable characters');
  }
  const time = (input.time ?? new Date()).getTime();
  if (!Number.isFinite(time)) throw new ProtocolError('BAD_REQUEST', 'time: not a valid date');
  return { customerId: id.data, purpose: purpose.data, time, source: input.source };
}

function record(
  db: Database.Database,
  identity: NodeIdentity,
  input: ConsentChangeInput,
  status: 'granted' | 'revoked'
): ConsentChange {
  const v = validate(input);
  const pseudonym = pseudonymFor(identity, v.customerId);
  return db
    .transaction((): ConsentChange => {
      if (db.prepare('SELECT 1 FROM erased_customers WHERE pseudonym = ?').get(pseudonym)) {
        // The raw id is the caller's own input; the message still avoids repeating it.
        throw new ProtocolError(
          'CONFLICT',
          'this customer was erased; their data (consents included) is not accepted again'
        );
      }
      db.prepare('INSERT OR IGNORE INTO customers (customer_id) VALUES (?)').run(v.customerId);
      const customer = db
        .prepare('SELECT id FROM customers WHERE customer_id = ?')
        .pluck()
        .get(v.customerId) as number;
      const changes = db
        .prepare(
          'INSERT OR IGNORE INTO consents (customer, purpose, time, status, source) VALUES (?, ?, ?, ?, ?)'
        )
        .run(customer, v.purpose, v.time, status, v.source).changes;
      if (changes === 0) return { pseudonym, recorded: false, entry: null };
      const entry = appendLedgerEntry(db, {
        type: status === 'granted' ? 'consent_granted' : 'consent_revoked',
        subject: pseudonym,
        body: { purpose: v.purpose, effectiveAt: new Date(v.time).toISOString() },
        // Where the consent came from can name people (a clerk, a form): erasable, off the chain.
        privatePayload: { source: v.source },
      });
      return { pseudonym, recorded: true, entry };
    })
    .immediate();
}

export function grantConsent(
  db: Database.Database,
  identity: NodeIdentity,
  input: ConsentChangeInput
): ConsentChange {
  return record(db, identity, input, 'granted');
}

export function revokeConsent(
  db: Database.Database,
  identity: NodeIdentity,
  input: ConsentChangeInput
): ConsentChange {
  return record(db, identity, input, 'revoked');
}

/** True when the latest consent record for (customer, purpose) at or before `at` is a grant. */
export function consentInForce(
  db: Database.Database,
  customerId: string,
  purpose: Purpose,
  at: Date
): boolean {
  const row = db
    .prepare(
      `SELECT ${CONSENT_IN_FORCE_SQL} AS ok FROM customers c WHERE c.customer_id = :customerId`
    )
    .get({ customerId, purpose: PurposeSchema.parse(purpose), consentAt: at.getTime() }) as
    | { ok: number | null }
    | undefined;
  return row?.ok === 1;
}

export interface ConsentSummaryRow {
  purpose: Purpose;
  /** Customers whose consent (or declared lawful basis) is in force now. */
  inForce: number;
  /** Customers whose latest record is a revocation. */
  revoked: number;
}

/** Per purpose, how many customers are covered now and how many have withdrawn. */
export function consentSummary(db: Database.Database, at: Date = new Date()): ConsentSummaryRow[] {
  const stmt = db.prepare(`
    SELECT latest AS status, count(*) AS n FROM (
      SELECT (SELECT k.status FROM consents k WHERE k.customer = c.id AND k.purpose = :purpose AND k.time <= :consentAt
              ORDER BY k.time DESC, k.status DESC LIMIT 1) AS latest
      FROM customers c) WHERE latest IS NOT NULL GROUP BY latest`);
  return PURPOSES.map((purpose) => {
    const rows = stmt.all({ purpose, consentAt: at.getTime() }) as { status: string; n: number }[];
    const n = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
    return { purpose, inForce: n('granted'), revoked: n('revoked') };
  });
}
