import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DAY_MS, simulateCustomer, Window } from './customer.ts';
import { CHURN_COLUMNS, churnRow } from './features.ts';
import { LineWriter } from './line-writer.ts';
import { Prng, seedToUint32 } from './prng.ts';
import { PROFILES, PROFILE_NAMES, type ProfileName } from './profiles.ts';
import { peopleMap } from './shared-people.ts';

export interface SynthOptions {
  /** Output directory (created if missing); existing files of the same names are overwritten. */
  dir: string;
  profile: ProfileName;
  /** Any text; the same seed gives byte-identical files. */
  seed: string;
  /** Number of customers; defaults to the profile's size. */
  customers?: number;
  /**
   * Size of the public population the customers' e-mail addresses come from (shared-people.ts,
   * default 50,000, at least the customer count): nodes of one federation with the same value
   * share customers by e-mail, as partners do, for overlap jobs.
   */
  people?: number;
  /** First and last day of the window, YYYY-MM-DD (inclusive). */
  start?: string;
  end?: string;
  /** Called every PROGRESS_EVERY customers and at the end. */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthReport {
  profile: ProfileName;
  seed: string;
  start: string;
  end: string;
  files: { customers: string; events: string; touches: string; consents: string; churn: string };
  rows: { customers: number; events: number; touches: number; consents: number; churn: number };
  purchases: number;
  /** Size of the e-mail population used (shared-people.ts). */
  people: number;
}

export const SYNTH_FILES = {
  customers: ['customer_id', 'signup_date', 'email'],
  events: ['customer_id', 'time', 'type', 'amount', 'channel', 'category'],
  touches: ['customer_id', 'time', 'channel', 'campaign', 'variant', 'outcome'],
  consents: ['customer_id', 'purpose', 'status', 'time', 'source'],
  /** A feature table (`--kind table --table churn`), not one of the fixed import formats. */
  churn: CHURN_COLUMNS,
} as const;

export const DEFAULT_START = '2024-01-01';
export const DEFAULT_END = '2025-12-31';
const PROGRESS_EVERY = 5000;

function parseDay(label: string, s: string): number {
  const ms = Date.parse(`${s}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(s) ||
    Number.isNaN(ms) ||
    !new Date(ms).toISOString().startsWith(s)
  ) {
    throw new RangeError(`"${label}" expected a date as YYYY-MM-DD, got ${JSON.stringify(s)}`);
  }
  return ms;
}

/**
 * Writes customers.csv, events.csv, touches.csv, consents.csv and the feature table churn.csv
 * (features.ts) for one synthetic institution.
 * Each customer has its own PRNG stream (seed, index), so output is deterministic and memory is
 * one customer at a time, whatever the count.
 */
export async function generateSynthetic(opts: SynthOptions): Promise<SynthReport> {
  if (!PROFILE_NAMES.includes(opts.profile))
    throw new RangeError(
      `"profile" must be one of ${PROFILE_NAMES.join(', ')}, got ${opts.profile}`
    );
  const profile = PROFILES[opts.profile];
  const total = opts.customers ?? profile.defaultCustomers;
  if (!Number.isSafeInteger(total) || total < 1 || total > 9_999_999) {
    throw new RangeError(`"customers" must be an integer from 1 to 9999999, got ${total}`);
  }
  const start = opts.start ?? DEFAULT_START;
  const end = opts.end ?? DEFAULT_END;
  const w = new Window(parseDay('start', start), parseDay('end', end) + DAY_MS);
  if (w.endMs - w.startMs < 28 * DAY_MS)
    throw new RangeError(`"end" must be at least 28 days after "start" (${start} .. ${end})`);
  mkdirSync(opts.dir, { recursive: true });
  const files = {
    customers: join(opts.dir, 'customers.csv'),
    events: join(opts.dir, 'events.csv'),
    touches: join(opts.dir, 'touches.csv'),
    consents: join(opts.dir, 'consents.csv'),
    churn: join(opts.dir, 'churn.csv'),
  };
  const out = {
    customers: new LineWriter(files.customers, [
      ...SYNTH_FILES.customers,
      ...profile.attributeColumns,
    ]),
    events: new LineWriter(files.events, SYNTH_FILES.events),
    touches: new LineWriter(files.touches, SYNTH_FILES.touches),
    consents: new LineWriter(files.consents, SYNTH_FILES.consents),
    churn: new LineWriter(files.churn, SYNTH_FILES.churn),
  };
  const seed32 = seedToUint32(`${opts.profile}:${opts.seed}`);
  const people = peopleMap(opts.profile, seed32, opts.people, total);
  let purchases = 0;
  try {
    for (let i = 0; i < total; i++) {
      const c = simulateCustomer({ rng: new Prng(seed32, i), profile, w }, i);
      out.customers.row([
        c.id,
        w.date(c.signupMs),
        people.emailOf(i),
        ...profile.attributeColumns.map((k) => c.attributes[k] ?? null),
      ]);
      for (const e of c.events) {
        if (e.type === 'purchase') purchases++;
        out.events.row([
          c.id,
          w.isoTime(e.time),
          e.type,
          e.amount === null ? null : e.amount.toFixed(2),
          e.channel,
          e.category,
        ]);
      }
      for (const t of c.touches)
        out.touches.row([c.id, w.isoTime(t.time), t.channel, t.campaign, t.variant, t.outcome]);
      for (const k of c.consents)
        out.consents.row([c.id, k.purpose, k.status, w.isoTime(k.time), k.source]);
      out.churn.row(churnRow(c, w.endMs));
      if ((i + 1) % PROGRESS_EVERY === 0) {
        opts.onProgress?.(i + 1, total);
        // Yield so a progress bar can redraw and signals are handled during long runs.
        await new Promise((r) => setImmediate(r));
      }
    }
  } finally {
    for (const w2 of Object.values(out)) w2.close();
  }
  opts.onProgress?.(total, total);
  return {
    profile: opts.profile,
    seed: opts.seed,
    start,
    end,
    files,
    rows: {
      customers: out.customers.rows,
      events: out.events.rows,
      touches: out.touches.rows,
      consents: out.consents.rows,
      churn: out.churn.rows,
    },
    purchases,
    people: people.people,
  };
}
