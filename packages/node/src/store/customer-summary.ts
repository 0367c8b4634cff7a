import type { CellValue } from './_values.ts';
import type { CustomerSummary } from '../analytics/types.ts';

const DAY_MS = 86_400_000;
const toDay = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / DAY_MS));

/**
 * A CustomerSummary from one customer's aggregates as both backends read them (times in epoch
 * ms): SQLite's unit-source.ts and the warehouse's source.ts. The last activity is the later of
 * the last event and the last touch response (analytics/types.ts). Positional arguments: this
 * runs once per customer of a 1M-customer segmentation.
 */
export function customerSummary(
  customerId: string,
  signupDay: number | null,
  attributes: Record<string, CellValue>,
  purchaseCount: number,
  purchaseDays: number,
  firstPurchase: number | null,
  lastPurchase: number | null,
  lastEvent: number | null,
  monetary: number,
  lastResponse: number | null
): CustomerSummary {
  const lastActivity =
    lastEvent === null
      ? lastResponse
      : lastResponse === null
        ? lastEvent
        : Math.max(lastEvent, lastResponse);
  return {
    customerId,
    signupDay,
    attributes,
    purchaseCount,
    purchaseDays,
    firstPurchaseDay: toDay(firstPurchase),
    lastPurchaseDay: toDay(lastPurchase),
    lastActivityDay: toDay(lastActivity),
    monetary,
  };
}
