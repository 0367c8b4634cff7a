import {
  ASSIGNMENT_FIELDS,
  CUSTOMER_CHANNEL_FIELDS,
  EVENT_FIELDS,
  ProtocolError,
  TOUCH_FIELDS,
  type QueryUnit,
} from '@fedmark/protocol';
import { hourOfWeek } from './_days.ts';
import {
  CUSTOMER_FIELD_NAMES,
  CUSTOMER_FIELDS,
  type DeriveContext,
  type FieldValue,
} from './customer-fields.ts';
import type { CustomerSummary, EventRow, TouchRow } from './types.ts';

/** One assignment unit row: a customer's exposure to one campaign variant (funnel / A-B). */
export interface AssignmentRow {
  campaign: string;
  variant: string | null;
  exposed: 1;
  clicked: 0 | 1;
  converted: 0 | 1;
  /** First touch of the assignment: orders rows for contribution bounding. */
  time: number;
}

/** One customer_channel unit row: touches on one channel in the 7 days before asOf (fatigue). */
export interface ChannelRow {
  channel: string;
  touches_7d: number;
  time: number;
}

/**
 * The row being aggregated. One object is reused for every row (no per-row allocation): `row` is
 * the unit row (the customer summary itself for the customer unit), `tables` the joined feature
 * table values in the order of FieldPlan.tables.
 */
export interface RowCursor {
  customer: CustomerSummary;
  row: unknown;
  tables: (Record<string, FieldValue> | null)[];
}

export type Getter = (x: RowCursor, k: DeriveContext) => FieldValue;

const ev = (x: RowCursor): EventRow => x.row as EventRow;
const tc = (x: RowCursor): TouchRow => x.row as TouchRow;
const as = (x: RowCursor): AssignmentRow => x.row as AssignmentRow;
const ch = (x: RowCursor): ChannelRow => x.row as ChannelRow;

/** Outcomes that count as a response (a click or a conversion): `responded`, assignment `clicked`. */
export const RESPONSE_OUTCOMES: ReadonlySet<string> = new Set(['clicked', 'converted']);

const UNIT_FIELDS: Record<Exclude<QueryUnit, 'customer'>, Record<string, Getter>> = {
  event: {
    event_type: (x) => ev(x).type,
    channel: (x) => ev(x).channel,
    category: (x) => ev(x).category,
    amount: (x) => ev(x).amount,
    hour_of_week: (x) => hourOfWeek(ev(x).time),
  } satisfies Record<(typeof EVENT_FIELDS)[number], Getter>,
  touch: {
    channel: (x) => tc(x).channel,
    campaign: (x) => tc(x).campaign,
    variant: (x) => tc(x).variant,
    outcome: (x) => tc(x).outcome,
    hour_of_week: (x) => hourOfWeek(tc(x).time),
    responded: (x) => (RESPONSE_OUTCOMES.has(tc(x).outcome) ? 1 : 0),
  } satisfies Record<(typeof TOUCH_FIELDS)[number], Getter>,
  assignment: {
    campaign: (x) => as(x).campaign,
    variant: (x) => as(x).variant,
    exposed: (x) => as(x).exposed,
    clicked: (x) => as(x).clicked,
    converted: (x) => as(x).converted,
  } satisfies Record<(typeof ASSIGNMENT_FIELDS)[number], Getter>,
  customer_channel: {
    channel: (x) => ch(x).channel,
    touches_7d: (x) => ch(x).touches_7d,
  } satisfies Record<(typeof CUSTOMER_CHANNEL_FIELDS)[number], Getter>,
};

/** Field names a unit knows statically (attr.<name> and table.<t>.<c> come on top). */
export function knownFields(unit: QueryUnit): string[] {
  const own = unit === 'customer' ? [] : Object.keys(UNIT_FIELDS[unit]);
  const patterns =
    unit === 'customer' ? ['attr.<name>', 'table.<table>.<column>'] : ['attr.<name>'];
  return [...own, ...CUSTOMER_FIELD_NAMES, ...patterns];
}

function unknownField(unit: QueryUnit, name: string, why = ''): ProtocolError {
  const known = knownFields(unit).join(', ');
  return new ProtocolError(
    'BAD_REQUEST',
    `unknown field "${name}" for unit "${unit}"${why}; known fields: ${known}`
  );
}

/**
 * The getter of a field for a unit. Feature tables named by `table.<t>.<c>` are appended to
 * `tables` (each once) so the caller knows which tables to join. Throws BAD_REQUEST for a name
 * the unit does not have, before any data is read.
 */
export function resolveField(unit: QueryUnit, name: string, tables: string[]): Getter {
  if (unit !== 'customer') {
    const own = UNIT_FIELDS[unit][name];
    if (own) return own;
  }
  if (Object.hasOwn(CUSTOMER_FIELDS, name)) {
    const derive = CUSTOMER_FIELDS[name as keyof typeof CUSTOMER_FIELDS];
    return (x, k) => derive(x.customer, k);
  }
  const parts = name.split('.');
  if (parts[0] === 'attr' && parts.length === 2) {
    const attr = parts[1] as string;
    return (x) =>
      Object.hasOwn(x.customer.attributes, attr) ? (x.customer.attributes[attr] ?? null) : null;
  }
  if (parts[0] === 'table' && parts.length === 3) {
    if (unit !== 'customer') {
      throw unknownField(unit, name, ' (feature-table fields exist for the customer unit only)');
    }
    const [, table, column] = parts as [string, string, string];
    let i = tables.indexOf(table);
    if (i < 0) i = tables.push(table) - 1;
    const slot = i;
    return (x) => {
      const values = x.tables[slot];
      return values && Object.hasOwn(values, column) ? (values[column] ?? null) : null;
    };
  }
  throw unknownField(unit, name);
}
