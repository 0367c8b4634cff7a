import { z } from 'zod';
import { PURPOSES } from '@fedmark/protocol';
import { parseTime } from './_time.ts';

/**
 * Row schemas of the CSV formats (documented in docs/node-data.md). Each schema validates one
 * record, given as an object keyed by header name, and converts it to stored values. Issues carry
 * the column name as their path, which is how ImportError names the column.
 */
export const IMPORT_KINDS = ['customers', 'events', 'touches', 'consents', 'table'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export const TOUCH_OUTCOMES = ['none', 'opened', 'clicked', 'converted'] as const;

// Printable text: no control characters (they break logs and terminals), bounded length.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class deliberately excludes control characters to reject them in ids
const PRINTABLE_RE = /^[^\u0000-\u001f\u007f]*$/;

export const CustomerIdSchema = z
  .string()
  .min(1, 'customer id is required')
  .max(128, 'customer id longer than 128 characters')
  .regex(PRINTABLE_RE, 'customer id contains control characters');

const TimeSchema = z.string().transform((s, ctx) => {
  const ms = s === '' ? null : parseTime(s);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a date YYYY-MM-DD or an ISO 8601 datetime (e.g. 2025-03-01T14:30:00Z)',
    });
    return z.NEVER;
  }
  return ms;
});

const OptionalDateSchema = z.string().transform((s, ctx) => {
  if (s === '') return null;
  const ms = parseTime(s);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a date YYYY-MM-DD (or an ISO 8601 datetime)',
    });
    return z.NEVER;
  }
  return ms;
});

const DECIMAL_RE = /^[-+]?(\d+\.?\d*|\.\d+)$/;
const isAmount = (s: string): boolean => s.length <= 32 && DECIMAL_RE.test(s);
const AmountSchema = z.string().transform((s, ctx) => {
  if (s === '') return null;
  if (!isAmount(s)) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a decimal number such as 12.50 (no currency sign or thousands separator)',
    });
    return z.NEVER;
  }
  return Number(s);
});

/** Free text used as a key ('' = absent, stored as ''). */
const LabelSchema = z
  .string()
  .max(128, 'longer than 128 characters')
  .regex(PRINTABLE_RE, 'contains control characters');

const EVENT_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const EventTypeSchema = z
  .string()
  .refine(
    (s) => s === '' || EVENT_TYPE_RE.test(s),
    'expected an event type of letters, digits, _ . : - (at most 64)'
  )
  .transform((s) => (s === '' ? 'purchase' : s));

/**
 * Per-column schemas. Importers validate cell by cell with these (memoising results for
 * repeated cells, see _field-parser.ts); the row schemas below are the same rules as whole-row
 * objects, for callers validating one record at a time.
 */
export const EVENT_FIELDS = {
  customer_id: CustomerIdSchema,
  time: TimeSchema,
  type: EventTypeSchema,
  amount: AmountSchema,
  channel: LabelSchema,
  category: LabelSchema,
};

/** Cross-column rule of an event row: returns [column, reason] when broken. */
export function eventRowProblem(type: string, amount: number | null): [string, string] | null {
  return type === 'purchase' && amount === null ? ['amount', 'a purchase needs an amount'] : null;
}

export const EventRowSchema = z.object(EVENT_FIELDS).superRefine((r, ctx) => {
  const p = eventRowProblem(r.type, r.amount);
  if (p) ctx.addIssue({ code: 'custom', path: [p[0]], message: p[1] });
});

export const TOUCH_FIELDS = {
  customer_id: CustomerIdSchema,
  time: TimeSchema,
  channel: LabelSchema.min(1, 'channel is required'),
  campaign: LabelSchema.min(1, 'campaign is required'),
  variant: LabelSchema,
  outcome: z
    .string()
    .transform((s) => (s === '' ? 'none' : s))
    .pipe(z.enum(TOUCH_OUTCOMES, { message: `expected one of ${TOUCH_OUTCOMES.join('|')}` })),
};
export const TouchRowSchema = z.object(TOUCH_FIELDS);

export const CONSENT_FIELDS = {
  customer_id: CustomerIdSchema,
  purpose: z.enum(PURPOSES, { message: `expected one of ${PURPOSES.join('|')}` }),
  status: z.enum(['granted', 'revoked'], { message: 'expected granted|revoked' }),
  time: TimeSchema,
  source: LabelSchema,
};
export const ConsentRowSchema = z.object(CONSENT_FIELDS);

export const CUSTOMER_FIELDS = {
  customer_id: CustomerIdSchema,
  signup_date: OptionalDateSchema,
};
export const CustomerRowSchema = z.object(CUSTOMER_FIELDS);

/** Columns per kind: required first, then optional. `customers` and `table` also take any other columns. */
export const COLUMNS: Record<
  Exclude<ImportKind, 'table'>,
  { required: readonly string[]; optional: readonly string[] }
> = {
  customers: { required: ['customer_id'], optional: ['signup_date'] },
  events: {
    required: ['customer_id', 'time'],
    optional: ['type', 'amount', 'channel', 'category'],
  },
  touches: {
    required: ['customer_id', 'time', 'channel', 'campaign'],
    optional: ['variant', 'outcome'],
  },
  consents: { required: ['customer_id', 'purpose', 'status', 'time'], optional: ['source'] },
};

/** Encodings an import accepts (docs/node-data.md): UTF-8, checked strictly, or an explicit Latin-1. */
export const IMPORT_ENCODINGS = ['utf-8', 'latin1'] as const;
export type ImportEncoding = (typeof IMPORT_ENCODINGS)[number];

/**
 * Plain-code acceptors for the hottest cell schemas of a 10M-row events import: each returns
 * the value its schema's parse would, or undefined where it cannot tell, and then the schema
 * decides (and words the error). A zod parse per distinct cell was a fifth of an import's CPU
 * (bench node-store); formats.test.ts checks every acceptor against its schema on random cells.
 */
export const FAST_ACCEPT: ReadonlyMap<z.ZodType, (s: string) => unknown> = new Map<
  z.ZodType,
  (s: string) => unknown
>([
  [
    CustomerIdSchema,
    (s) => (s.length >= 1 && s.length <= 128 && PRINTABLE_RE.test(s) ? s : undefined),
  ],
  [TimeSchema, (s) => (s === '' ? undefined : (parseTime(s) ?? undefined))],
  [AmountSchema, (s) => (s === '' ? null : isAmount(s) ? Number(s) : undefined)],
  [LabelSchema, (s) => (s.length <= 128 && PRINTABLE_RE.test(s) ? s : undefined)],
  [EventTypeSchema, (s) => (s === '' ? 'purchase' : EVENT_TYPE_RE.test(s) ? s : undefined)],
]);
