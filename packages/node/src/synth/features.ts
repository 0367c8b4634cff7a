import { CHURN_HORIZON_DAYS, DAY_MS, type SimCustomer } from './customer.ts';

/**
 * churn.csv: one row per customer, for the `train` job template (docs/models.md). Every feature
 * is computed from the customer's own events and touches up to the end of the window, the same
 * columns for every profile, so the nodes of a mixed federation train one model. The label
 * (`churn`, Yes/No) looks past the window (customer.ts, CHURN_HORIZON_DAYS) and comes from the
 * customer's latent purchase rate and dropout, which the features only reflect.
 */
export const CHURN_COLUMNS = [
  'customer_id',
  'tenure_days',
  'purchases',
  'recency_days',
  'avg_order_value',
  'visits_90d',
  'primary_channel',
  'churn',
] as const;

/** The window of `visits_90d`: the last quarter of the window, like the label's horizon. */
const RECENT_DAYS = CHURN_HORIZON_DAYS;

/** Whole calendar days from the day of `ms` to the end of the window (exclusive end, UTC). */
const daysBefore = (endMs: number, ms: number): number =>
  Math.floor(endMs / DAY_MS) - Math.floor(ms / DAY_MS);

/**
 * The churn.csv row of one customer, in CHURN_COLUMNS order. Day counts run from a calendar day
 * to the day after the window, as `recency_days` does in a query as of that day
 * (docs/analytics.md): `tenure_days` from signup, `recency_days` from the last purchase, or from
 * signup for a customer who never bought. `avg_order_value` is 0 without purchases;
 * `visits_90d` counts visits in the window's last 90 days; `primary_channel` is the channel of
 * most events (ties: the one seen first), empty for a customer without events.
 */
export function churnRow(c: SimCustomer, endMs: number): (string | number)[] {
  let purchases = 0;
  let spent = 0;
  let lastPurchase = c.signupMs;
  let visits = 0;
  const byChannel = new Map<string, number>();
  for (const e of c.events) {
    byChannel.set(e.channel, (byChannel.get(e.channel) ?? 0) + 1);
    if (e.type === 'purchase') {
      purchases++;
      spent += e.amount ?? 0;
      lastPurchase = Math.max(lastPurchase, e.time);
    } else if (e.time >= endMs - RECENT_DAYS * DAY_MS) visits++;
  }
  let primary = '';
  let most = 0;
  for (const [ch, n] of byChannel) if (n > most) [primary, most] = [ch, n];
  return [
    c.id,
    daysBefore(endMs, c.signupMs),
    purchases,
    daysBefore(endMs, lastPurchase),
    purchases === 0 ? 0 : Math.round((spent / purchases) * 100) / 100,
    visits,
    primary,
    c.churn ? 'Yes' : 'No',
  ];
}
