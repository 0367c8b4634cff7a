/**
 * The fixed dataset of the UnitSource contract suite (unit-source-contract.ts), without vitest so
 * a store can load it from anywhere. Every customer is meant to have analytics consent.
 */
import { dayOfIso } from './_days.ts';
import type { MemoryCustomer } from './memory-source.ts';
import type { EventRow, TableRow, TouchRow } from './types.ts';

export interface ContractData {
  asOf: string;
  customers: MemoryCustomer[];
  events: EventRow[];
  touches: TouchRow[];
  tables: Record<string, TableRow[]>;
}

const t = (iso: string): number => Date.parse(iso);
const ev = (customerId: string, time: string, type: string, amount: number | null): EventRow => ({
  customerId,
  time: t(time),
  type,
  amount,
  channel: 'web',
  category: null,
});
const touch = (
  customerId: string,
  time: string,
  channel: string,
  variant: string,
  outcome: string
): TouchRow => ({
  customerId,
  time: t(time),
  channel,
  campaign: 'spring',
  variant,
  outcome,
});

/** Rows are given out of order on purpose: a source must order them itself. */
export const UNIT_SOURCE_CONTRACT_DATA: ContractData = {
  asOf: '2024-07-01',
  customers: [
    { customerId: 'c3', signupDay: dayOfIso('2024-06-01'), attributes: { region: 'south' } },
    { customerId: 'c1', signupDay: dayOfIso('2023-01-10'), attributes: { region: 'north' } },
    { customerId: 'c2', signupDay: null, attributes: { region: null } },
  ],
  events: [
    ev('c1', '2024-03-01T09:00:00Z', 'purchase', 10),
    ev('c3', '2024-06-20T12:00:00Z', 'purchase', 0),
    ev('c1', '2024-01-05T15:00:00Z', 'purchase', 4.5),
    ev('c1', '2024-01-05T10:00:00Z', 'purchase', 20.5),
    ev('c1', '2024-06-15T08:00:00Z', 'visit', null),
    ev('c1', '2024-07-01T00:00:00Z', 'purchase', 999), // at asOf: not visible
    ev('c2', '2024-05-01T08:00:00Z', 'visit', null),
  ],
  touches: [
    touch('c2', '2024-06-29T08:00:00Z', 'sms', 'B', 'none'),
    touch('c1', '2024-06-26T08:00:00Z', 'email', 'A', 'clicked'),
    touch('c2', '2024-06-28T08:00:00Z', 'sms', 'B', 'opened'),
    touch('c3', '2024-07-02T08:00:00Z', 'email', 'A', 'converted'), // after asOf
  ],
  tables: {
    risk: [
      { customerId: 'c3', values: { vol: 9 } },
      { customerId: 'c1', values: { vol: 2.5 } },
    ],
  },
};
