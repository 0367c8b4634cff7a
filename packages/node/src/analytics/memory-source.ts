import { DAY_MS, dayOfIso, dayOfMs } from './_days.ts';
import type { CustomerSummary, EventRow, TableRow, TouchRow, UnitSource } from './types.ts';

/** A customer as given to memoryUnitSource: purchases and activity come from the events. */
export interface MemoryCustomer {
  customerId: string;
  signupDay?: number | null;
  attributes?: Record<string, string | number | null>;
}

export interface MemorySourceInput {
  customers?: readonly MemoryCustomer[];
  events?: readonly EventRow[];
  touches?: readonly TouchRow[];
  tables?: Readonly<Record<string, readonly TableRow[]>>;
  /** If set, events and touches at or after 00:00 UTC of this day are left out (as the store does). */
  asOf?: string;
}

const byCustomer = (a: { customerId: string }, b: { customerId: string }): number =>
  a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0;

const byCustomerThenTime = <T extends { customerId: string; time: number }>(a: T, b: T): number =>
  a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.time - b.time;

function emptySummary(customerId: string, from?: MemoryCustomer): CustomerSummary {
  return {
    customerId,
    signupDay: from?.signupDay ?? null,
    attributes: from?.attributes ?? {},
    purchaseCount: 0,
    purchaseDays: 0,
    firstPurchaseDay: null,
    lastPurchaseDay: null,
    lastActivityDay: null,
    monetary: 0,
  };
}

function maxDay(a: number | null, b: number): number {
  return a === null || b > a ? b : a;
}

/**
 * Summaries as the SQL store derives them: purchases are events of type 'purchase' (amount null
 * counts 0), activity is any event or any touch the customer reacted to (outcome other than
 * 'none': opened, clicked, converted).
 */
function summarise(
  customers: readonly MemoryCustomer[],
  events: readonly EventRow[],
  touches: readonly TouchRow[]
): CustomerSummary[] {
  const out = new Map<string, CustomerSummary>();
  const days = new Map<string, Set<number>>();
  const get = (id: string): CustomerSummary => {
    let s = out.get(id);
    if (!s) {
      s = emptySummary(id);
      out.set(id, s);
    }
    return s;
  };
  for (const c of customers) out.set(c.customerId, emptySummary(c.customerId, c));
  for (const e of events) {
    const s = get(e.customerId);
    const day = dayOfMs(e.time);
    s.lastActivityDay = maxDay(s.lastActivityDay, day);
    if (e.type !== 'purchase') continue;
    s.purchaseCount++;
    s.monetary += e.amount ?? 0;
    s.firstPurchaseDay =
      s.firstPurchaseDay === null || day < s.firstPurchaseDay ? day : s.firstPurchaseDay;
    s.lastPurchaseDay = maxDay(s.lastPurchaseDay, day);
    let set = days.get(e.customerId);
    if (!set) {
      set = new Set();
      days.set(e.customerId, set);
    }
    set.add(day);
  }
  for (const t of touches) {
    const s = get(t.customerId);
    if (t.outcome !== 'none') s.lastActivityDay = maxDay(s.lastActivityDay, dayOfMs(t.time));
  }
  for (const [id, set] of days) get(id).purchaseDays = set.size;
  return [...out.values()].sort(byCustomer);
}

/**
 * An in-memory UnitSource for tests and demos, ordered as the contract asks (customerId, then
 * time; ties keep input order). Customers are the union of the given customers and the ids seen
 * in events and touches. Consent is not modelled: pass only the customers that count.
 */
export function memoryUnitSource(input: MemorySourceInput): UnitSource {
  const endMs = input.asOf === undefined ? Infinity : dayOfIso(input.asOf) * DAY_MS;
  const events = (input.events ?? []).filter((e) => e.time < endMs).sort(byCustomerThenTime);
  const touches = (input.touches ?? []).filter((t) => t.time < endMs).sort(byCustomerThenTime);
  const customers = summarise(input.customers ?? [], events, touches);
  const tables = new Map(
    Object.entries(input.tables ?? {}).map(([name, rows]) => [name, [...rows].sort(byCustomer)])
  );
  return {
    customers: () => customers,
    events: () => events,
    touches: () => touches,
    tableRows: (table) => tables.get(table) ?? [],
  };
}
