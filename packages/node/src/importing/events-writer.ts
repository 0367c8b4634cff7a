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

/** Rows per multi-row INSERT: half the statement cost of one row each (bench node-store). */
const BATCH_ROWS = 50;
/** Parameters per row: the five key values, occurrence, value, seen_in. */
const ROW_PARAMS = 8;

class OccurrenceWriter {
  private readonly insert: Database.Statement;
  private readonly insertBatch: Database.Statement;
  private readonly find: Database.Statement;
  private readonly claim: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollback: Database.Statement;
  /** Buffered rows, ROW_PARAMS parameters each, as insertBatch binds them. */
  private readonly pending: (string | number | null)[] = [];
  inserted = 0;
  unchanged = 0;

  constructor(
    db: Database.Database,
    spec: Spec,
    private readonly importId: number,
    /** Called with the customer of every inserted row (a claimed row changes no aggregate). */
    private readonly onInserted: (customer: number) => void
  ) {
    const keys = spec.keyColumns;
    const cols = [...keys, 'occurrence', spec.valueColumn, 'seen_in'];
    const keyWhere = [...keys, 'occurrence'].map((k) => `${k} = ?`).join(' AND ');
    const row = `(${cols.map(() => '?').join(', ')})`;
    const into = `INSERT OR IGNORE INTO ${spec.table} (${cols.join(', ')}) VALUES`;
    this.insert = db.prepare(`${into} ${row}`);
    this.insertBatch = db.prepare(`${into} ${Array(BATCH_ROWS).fill(row).join(', ')}`);
    this.find = db.prepare(
      `SELECT ${spec.valueColumn} AS v, seen_in AS s FROM ${spec.table} WHERE ${keyWhere}`
    );
    this.claim = db.prepare(`UPDATE ${spec.table} SET seen_in = ? WHERE ${keyWhere}`);
    this.savepoint = db.prepare('SAVEPOINT occurrence_batch');
    this.release = db.prepare('RELEASE occurrence_batch');
    this.rollback = db.prepare('ROLLBACK TO occurrence_batch');
  }

  /**
   * k1..k5 = the natural key values in spec order (customer first); value = amount or outcome.
   * Rows are written BATCH_ROWS at a time as new rows (occurrence 0). A batch in which any row
   * met an existing key is rolled back to its savepoint and written row by row (writeOne), in
   * file order, which is what writing each row on its own gives: a row that meets a key did so
   * because the key existed before the batch or an earlier row of it took it, and neither
   * depends on the rows after it.
   */
  write(
    k1: number,
    k2: number,
    k3: string,
    k4: string,
    k5: string,
    value: string | number | null
  ): void {
    this.pending.push(k1, k2, k3, k4, k5, 0, value, this.importId);
    if (this.pending.length === BATCH_ROWS * ROW_PARAMS) this.writeBatch();
  }

  /** Writes what is buffered; call once after the last row. */
  flush(): void {
    this.writeRows();
  }

  private writeBatch(): void {
    this.savepoint.run();
    if (this.insertBatch.run(this.pending).changes === BATCH_ROWS) {
      this.release.run();
      this.inserted += BATCH_ROWS;
      for (let i = 0; i < this.pending.length; i += ROW_PARAMS)
        this.onInserted(this.pending[i] as number);
      this.pending.length = 0;
      return;
    }
    this.rollback.run();
    this.release.run();
    this.writeRows();
  }

  private writeRows(): void {
    const p = this.pending;
    for (let i = 0; i < p.length; i += ROW_PARAMS) {
      const customer = p[i] as number;
      const k2 = p[i + 1] as number;
      const [k3, k4, k5] = [p[i + 2] as string, p[i + 3] as string, p[i + 4] as string];
      if (this.writeOne(customer, k2, k3, k4, k5, p[i + 6] as string | number | null))
        this.onInserted(customer);
    }
    p.length = 0;
  }

  /**
   * One row: occurrence 0 if its key is free; otherwise the key's next occurrence, unless an
   * earlier import stored the same value there (claimed, unchanged). Returns whether it inserted.
   */
  private writeOne(
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
  const activity = new ActivityRefresher(ctx.db);
  const out = new OccurrenceWriter(ctx.db, SPECS.events, ctx.importId, (c) => activity.changed(c));
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
      out.write(customer, time, type, channel, category, amount);
    },
    finish() {
      out.flush();
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
  const activity = new ActivityRefresher(ctx.db);
  const out = new OccurrenceWriter(ctx.db, SPECS.touches, ctx.importId, (c) => activity.changed(c));
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
      out.write(customer, time, channel, campaign, variant, outcome);
    },
    finish() {
      out.flush();
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
