import type Database from 'better-sqlite3';
import type { Purpose, RfmSummary } from '@fedmark/protocol';
import { DAY_MS } from '../analytics/_days.ts';
import { DAY_SQL } from '../store/customer-activity.ts';
import { CONSENT_IN_FORCE_SQL } from '../store/_consent-sql.ts';

/**
 * Every stored customer's CLV summary as of a cut-off day (docs/clv.md "Per-customer"), as
 * lifetimes' summary_data_from_transaction_data and the CDNOW derivation build it: purchases on
 * one day are one transaction (their amounts add up), frequency = purchase days after the first,
 * recency = last purchase day - first, T = cut-off day - first, both in model units
 * (daysPerUnit), monetary = mean amount of the repeat purchase days (0 without one). The
 * cut-off day counts (a model's calibrationEnd is the last day of its calibration period).
 * Customers with no purchase up to the cut-off have no summary. Erased customers have no events
 * left, so they have none either.
 */

/** What a federated fit reads of a customer, whichever backend the node reads. */
export interface ClvSummary extends RfmSummary {
  customerId: string;
  monetary: number;
}

export interface ScoreSummary extends ClvSummary {
  /** The customer's rowid (the key of feature-table rows). */
  customer: number;
}

/**
 * One aggregate pass over the distinct purchase days: the inner query sums each customer's
 * purchases per day (events are clustered by customer then time, so this is one ordered scan)
 * and tags each day with the customer's first one; the outer one folds the days.
 */
const summariesSql = (consent: boolean) => `
SELECT d.customer, c.customer_id, count(*) - 1, d.first, max(d.day),
  total(d.amount) FILTER (WHERE d.day > d.first)
FROM (SELECT customer, day, amount, min(day) OVER (PARTITION BY customer) AS first
  FROM (SELECT e.customer AS customer, ${DAY_SQL} AS day, total(e.amount) AS amount
    FROM events e WHERE e.type = 'purchase' AND e.time < :end
    GROUP BY e.customer, day)) d
JOIN customers c ON c.id = d.customer
${consent ? `WHERE ${CONSENT_IN_FORCE_SQL}` : ''}
GROUP BY d.customer
ORDER BY d.customer`;

type Row = [number, string, number, number, number, number];

/**
 * @param endDay the last day counted, in days since 1970-01-01 (UTC)
 * @param daysPerUnit days per model time unit (7: weeks)
 * @param consent only customers whose consent for `purpose` is in force at `at` (a federated
 *   fit's round: federation/clv-round.ts); scoring the node's own customers reads them all
 */
export function scoreSummaries(
  db: Database.Database,
  endDay: number,
  daysPerUnit: number,
  consent?: { purpose: Purpose; at: Date }
): ScoreSummary[] {
  if (!Number.isInteger(endDay)) throw new TypeError('"endDay" expected an integer day');
  if (!(daysPerUnit > 0)) throw new RangeError('"daysPerUnit" expected a positive number');
  const rows = db
    .prepare(summariesSql(consent !== undefined))
    .raw()
    .all({
      end: (endDay + 1) * DAY_MS,
      ...(consent ? { purpose: consent.purpose, consentAt: consent.at.getTime() } : {}),
    }) as Row[];
  return rows.map(([customer, customerId, frequency, first, last, repeatSpend]) => ({
    customer,
    customerId,
    frequency,
    recency: (last - first) / daysPerUnit,
    T: (endDay - first) / daysPerUnit,
    monetary: frequency > 0 ? repeatSpend / frequency : 0,
  }));
}
