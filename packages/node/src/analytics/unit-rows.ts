import type { QueryUnit, SegmentQuery } from '@fedmark/protocol';
import { DAY_MS } from './_days.ts';
import { OrderedCursor, earliest, groupByCustomer } from './_merge.ts';
import type { DeriveContext } from './customer-fields.ts';
import { RESPONSE_OUTCOMES, type AssignmentRow, type ChannelRow } from './field-catalog.ts';
import type { CustomerSummary, EventRow, RowHint, TouchRow, UnitSource } from './types.ts';

/** Fatigue window: touches in the 7 days before asOf (touch fatigue: touches per 7 days per channel). */
export const FATIGUE_WINDOW_DAYS = 7;

/** One customer's rows of a non-customer unit, already cut to the contribution bound. */
export interface CustomerRows {
  customer: CustomerSummary;
  rows: readonly unknown[];
}

function assignments(touches: readonly TouchRow[]): AssignmentRow[] {
  const byKey = new Map<string, AssignmentRow>();
  for (const t of touches) {
    // \u0000 cannot occur in an imported campaign name, and a null variant gets its own key.
    const key = `${t.campaign}\u0000${t.variant === null ? '\u0001' : `=${t.variant}`}`;
    let a = byKey.get(key);
    if (!a) {
      a = {
        campaign: t.campaign,
        variant: t.variant,
        exposed: 1,
        clicked: 0,
        converted: 0,
        time: t.time,
      };
      byKey.set(key, a);
    }
    if (t.time < a.time) a.time = t.time;
    if (RESPONSE_OUTCOMES.has(t.outcome)) a.clicked = 1;
    if (t.outcome === 'converted') a.converted = 1;
  }
  return [...byKey.values()]; // Map keeps first-appearance order: the tie-break of `earliest`
}

function channelFatigue(touches: readonly TouchRow[], fromMs: number): ChannelRow[] {
  const byChannel = new Map<string, ChannelRow>();
  for (const t of touches) {
    if (t.time < fromMs) continue;
    const c = byChannel.get(t.channel);
    if (c) {
      c.touches_7d++;
      if (t.time < c.time) c.time = t.time;
    } else byChannel.set(t.channel, { channel: t.channel, touches_7d: 1, time: t.time });
  }
  return [...byChannel.values()];
}

function* before<T extends { time: number }>(rows: Iterable<T>, endMs: number): Generator<T> {
  // The store already filters to rows before asOf; this keeps the contract true for any source.
  for (const r of rows) if (r.time < endMs) yield r;
}

/**
 * Rows of an event, touch, assignment or customer_channel query, grouped per customer and cut to
 * the earliest `q.maxRowsPerCustomer` (user-level contribution bounding:
 * docs/analytics.md "Units and contribution bounding"). Each group is merge-joined to its
 * customer summary; rows of a customer absent from `source.customers()` (no consent in force for
 * the purpose) are dropped.
 */
export function* unitRowGroups(
  unit: Exclude<QueryUnit, 'customer'>,
  source: UnitSource,
  q: Pick<SegmentQuery, 'maxRowsPerCustomer'>,
  k: DeriveContext
): Generator<CustomerRows> {
  const endMs = k.asOfDay * DAY_MS;
  const customers = new OrderedCursor(source.customers(), 'customers');
  const limit = q.maxRowsPerCustomer;
  const windowStartMs = endMs - FATIGUE_WINDOW_DAYS * DAY_MS;
  // What the cut below keeps, told to the source (a warehouse applies it in SQL): the earliest
  // `limit` rows of event and touch units, the fatigue window's touches. Assignments aggregate
  // every touch of a campaign first, so they need them all.
  const hint: RowHint =
    unit === 'customer_channel'
      ? { fromMs: windowStartMs }
      : unit === 'assignment'
        ? {}
        : { perCustomer: limit };
  const groups =
    unit === 'event'
      ? groupByCustomer<EventRow | TouchRow>(before(source.events(hint), endMs), 'events')
      : groupByCustomer<EventRow | TouchRow>(before(source.touches(hint), endMs), 'touches');
  try {
    for (const group of groups) {
      const customer = customers.seek((group[0] as EventRow | TouchRow).customerId);
      if (!customer) continue;
      let rows: readonly { time: number }[];
      if (unit === 'assignment') rows = assignments(group as TouchRow[]);
      else if (unit === 'customer_channel')
        rows = channelFatigue(group as TouchRow[], windowStartMs);
      else rows = group;
      if (rows.length > 0) yield { customer, rows: earliest(rows as { time: number }[], limit) };
    }
  } finally {
    // The row stream may end (or the caller stop) before the customer stream does.
    customers.close();
    groups.return(undefined);
  }
}
