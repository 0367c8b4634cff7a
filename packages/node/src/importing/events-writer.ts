import type Database from 'better-sqlite3';
import { RowProblem } from './_csv-stream.ts';
import { fieldParsers } from './_field-parser.ts';
import { COLUMNS, EVENT_FIELDS, TOUCH_FIELDS, eventRowProblem } from './formats.ts';
import { mapHeader } from './_header.ts';
import { ActivityRefresher } from '../store/customer-activity.ts';
import type { KindWriter, WriterContext } from './_writer.ts';

/**
 * Writes events or touches. Idempotency without losing genuine repeats: each row's natural key
 * gets an `occurrence` number. A row first tries occurrence 0; when that key exists, the
 * existing row is either (a) already claimed by this import (`seen_in`), meaning the file repeats
 * the row, so the next occurrence is tried; or (b) from an earlier import with the same value
 * (amount / outcome), so it is claimed and counted unchanged; or (c) a different value, so the
 * next occurrence is tried. Re-importing a file therefore inserts nothing, and a file listing
 * two identical purchases keeps both.
 */
interface Spec {
  table: 'events' | 'touches';
  keyColumns: readonly string[];
  valueColumn: string;
}

const SPECS: Record<'events' | 'touches', Spec> = {
  events: {
    table: 'events',
    keyColumns: ['customer', 'time', 'type', 'channel', 'category'],
    valueColumn: 'amount',
  },
  touches: {
    table: 'touches',
    keyColumns: ['customer', 'time', 'channel', 'campaign', 'variant'],
    valueColumn: 'outcome',
  },
};

class OccurrenceWriter {
  private readonly insert: Database.Statement;
  private readonly find: Database.Statement;
  private readonly claim: Database.Statement;
  inserted = 0;
  unchanged = 0;

  constructor(
    db: Database.Database,
    spec: Spec,
    private readonly importId: number
  ) {
    const keys = spec.keyColumns;
    const cols = [...keys, 'occurrence', spec.valueColumn, 'seen_in'];
    const keyWhere = [...keys, 'occurrence'].map((k) => `${k} = ?`).join(' AND ');
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO ${spec.table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`
    );
    this.find = db.prepare(
      `SELECT ${spec.valueColumn} AS v, seen_in AS s FROM ${spec.table} WHERE ${keyWhere}`
    );
    this.claim = db.prepare(`UPDATE ${spec.table} SET seen_in = ? WHERE ${keyWhere}`);
  }

  /**
   * k1..k5 = the natural key values in spec order (customer first); value = amount or outcome.
   * Positional parameters rather than an array: this runs once per row of a 10M-row file.
   * Returns whether a row was inserted (a claimed, unchanged row changes no aggregate).
   */
  write(
    k1: number,
    k2: number,
    k3: string,
    k4: string,
    k5: string,
    value: string | number | null
  ): boolean {
    if (this.insert.run(k1, k2, k3, k4, k5, 0, value, this.importId).changes === 1) {
      this.inserted++;
      return true;
    }
    for (let occ = 0; ; occ++) {
      if (occ > 0 && this.insert.run(k1, k2, k3, k4, k5, occ, value, this.importId).changes === 1) {
        this.inserted++;
        return true;
      }
      const existing = this.find.get(k1, k2, k3, k4, k5, occ) as {
        v: string | number | null;
        s: number;
      };
      if (existing.s === this.importId) continue;
      if (existing.v === value) {
        this.claim.run(this.importId, k1, k2, k3, k4, k5, occ);
        this.unchanged++;
        return false;
      }
    }
  }
}

export function eventsWriter(ctx: WriterContext): KindWriter {
  const out = new OccurrenceWriter(ctx.db, SPECS.events, ctx.importId);
  const activity = new ActivityRefresher(ctx.db);
  let f: ReturnType<typeof fieldParsers<typeof EVENT_FIELDS>> | null = null;
  return {
    header(cells) {
      f = fieldParsers(EVENT_FIELDS, mapHeader(cells, { ...COLUMNS.events, allowExtra: false }));
    },
    record(cells) {
      const p = f as NonNullable<typeof f>;
      const customerId = p.customer_id(cells);
      const time = p.time(cells);
      const type = p.type(cells);
      const amount = p.amount(cells);
      const channel = p.channel(cells);
      const category = p.category(cells);
      const problem = eventRowProblem(type, amount);
      if (problem) throw new RowProblem(problem[0], '', problem[1]);
      const customer = ctx.resolver.resolve(customerId);
      if (customer === null) return;
      ctx.noteCustomer?.(customer);
      if (out.write(customer, time, type, channel, category, amount)) activity.changed(customer);
    },
    finish() {
      activity.flush();
    },
    get inserted() {
      return out.inserted;
    },
    // Events, touches and consents are not keyed by customer: a row is new or already there.
    changed: 0,
    get unchanged() {
      return out.unchanged;
    },
  };
}

export function touchesWriter(ctx: WriterContext): KindWriter {
  const out = new OccurrenceWriter(ctx.db, SPECS.touches, ctx.importId);
  const activity = new ActivityRefresher(ctx.db);
  let f: ReturnType<typeof fieldParsers<typeof TOUCH_FIELDS>> | null = null;
  return {
    header(cells) {
      f = fieldParsers(TOUCH_FIELDS, mapHeader(cells, { ...COLUMNS.touches, allowExtra: false }));
    },
    record(cells) {
      const p = f as NonNullable<typeof f>;
      const customerId = p.customer_id(cells);
      const time = p.time(cells);
      const channel = p.channel(cells);
      const campaign = p.campaign(cells);
      const variant = p.variant(cells);
      const outcome = p.outcome(cells);
      const customer = ctx.resolver.resolve(customerId);
      if (customer === null) return;
      ctx.noteCustomer?.(customer);
      if (out.write(customer, time, channel, campaign, variant, outcome))
        activity.changed(customer);
    },
    finish() {
      activity.flush();
    },
    get inserted() {
      return out.inserted;
    },
    // Events, touches and consents are not keyed by customer: a row is new or already there.
    changed: 0,
    get unchanged() {
      return out.unchanged;
    },
  };
}
