import {
  CUSTOMER_CATEGORICAL_FIELDS,
  CUSTOMER_NUMERIC_FIELDS,
  NES_STATUSES,
  SCORES,
  type LIFECYCLE_STAGES,
  type RFM_CLASSES,
  type SegmentQuery,
} from '@fedmark/protocol';
import { civilOfDay, dayOfIso, wholeMonthsBetween, type CivilDate } from './_days.ts';
import type { CustomerSummary } from './types.ts';

/** A derived field value: category label, number, or null (missing). */
export type FieldValue = string | number | null;

/** Everything a customer field needs besides the customer: computed once per query. */
export interface DeriveContext {
  asOfDay: number;
  asOfCivil: CivilDate;
  params: SegmentQuery['params'];
}

export function deriveContext(q: Pick<SegmentQuery, 'asOf' | 'params'>): DeriveContext {
  const asOfDay = dayOfIso(q.asOf);
  return { asOfDay, asOfCivil: civilOfDay(asOfDay), params: q.params };
}

type Stage = (typeof LIFECYCLE_STAGES)[number];
type RfmClass = (typeof RFM_CLASSES)[number];
type Thresholds = readonly [number, number, number, number];

export function recencyDays(c: CustomerSummary, k: DeriveContext): number | null {
  return c.lastPurchaseDay === null ? null : k.asOfDay - c.lastPurchaseDay;
}

/** Start of tenure: signup, or the first purchase when the signup date is unknown. */
export function tenureMonths(c: CustomerSummary, k: DeriveContext): number | null {
  const start = c.signupDay ?? c.firstPurchaseDay;
  return start === null ? null : wholeMonthsBetween(civilOfDay(start), k.asOfCivil);
}

export function purchaseCycleDays(c: CustomerSummary): number | null {
  if (c.purchaseDays < 2 || c.firstPurchaseDay === null || c.lastPurchaseDay === null) return null;
  return (c.lastPurchaseDay - c.firstPurchaseDay) / (c.purchaseDays - 1);
}

export function lifecycleStage(c: CustomerSummary, k: DeriveContext): Stage | null {
  const p = k.params.lifecycle;
  if (c.lastActivityDay === null || k.asOfDay - c.lastActivityDay > p.declineInactiveDays)
    return 'decline';
  const t = tenureMonths(c, k);
  if (t === null) return null;
  if (t < p.introMonths) return 'intro';
  if (t < p.growthMonths) return 'growth';
  // matureMonths documents the upper edge of the mature band; an active customer beyond it stays
  // mature (decline is driven by inactivity only, as in the lifecycle playbook).
  return 'mature';
}

export function nesStatus(
  c: CustomerSummary,
  k: DeriveContext
): (typeof NES_STATUSES)[number] | null {
  if (c.firstPurchaseDay === null || c.lastPurchaseDay === null) return null;
  const p = k.params.nes;
  if (c.firstPurchaseDay >= k.asOfDay - p.newDays) return 'new';
  const cycle = purchaseCycleDays(c) ?? p.defaultCycleDays;
  const recency = k.asOfDay - c.lastPurchaseDay;
  // A zero cycle (several purchase days can't give 0; kept for safety) means any gap is sleeping.
  const ratio = cycle > 0 ? recency / cycle : recency > 0 ? Infinity : 0;
  const [m0, m1, m2] = p.multiples;
  if (ratio <= m0) return 'E0';
  if (ratio <= m1) return 'S1';
  if (ratio <= m2) return 'S2';
  return 'S3';
}

/** 1 + number of thresholds <= value (larger is better). */
function scoreUp(t: Thresholds, v: number): number {
  return 1 + (t[0] <= v ? 1 : 0) + (t[1] <= v ? 1 : 0) + (t[2] <= v ? 1 : 0) + (t[3] <= v ? 1 : 0);
}

/** 1 + number of thresholds >= value (smaller is better: recency). */
function scoreDown(t: Thresholds, v: number): number {
  return 1 + (t[0] >= v ? 1 : 0) + (t[1] >= v ? 1 : 0) + (t[2] >= v ? 1 : 0) + (t[3] >= v ? 1 : 0);
}

export function rScore(c: CustomerSummary, k: DeriveContext): number | null {
  const r = recencyDays(c, k);
  return r === null ? null : scoreDown(k.params.rfm.scoreThresholds.recency, r);
}
export function fScore(c: CustomerSummary, k: DeriveContext): number {
  return scoreUp(k.params.rfm.scoreThresholds.frequency, c.purchaseCount);
}
export function mScore(c: CustomerSummary, k: DeriveContext): number {
  return scoreUp(k.params.rfm.scoreThresholds.monetary, c.monetary);
}

function scoreLabel(s: number | null): string | null {
  return s === null ? null : (SCORES[s - 1] as string);
}

export function rfmClass(c: CustomerSummary, k: DeriveContext): RfmClass | null {
  const means = k.params.rfm.means;
  if (!means || c.lastPurchaseDay === null) return null;
  const r = k.asOfDay - c.lastPurchaseDay < means.recency ? 'R+' : 'R-';
  const f = c.purchaseCount > means.frequency ? 'F+' : 'F-';
  const m = c.monetary > means.monetary ? 'M+' : 'M-';
  return `${r}${f}${m}` as RfmClass;
}

/** Per-field derivations. Categorical fields give the exact labels of CUSTOMER_CATEGORICAL_FIELDS. */
export const CUSTOMER_FIELDS: Record<
  (typeof CUSTOMER_NUMERIC_FIELDS)[number] | keyof typeof CUSTOMER_CATEGORICAL_FIELDS,
  (c: CustomerSummary, k: DeriveContext) => FieldValue
> = {
  recency_days: recencyDays,
  frequency: (c) => c.purchaseCount,
  monetary: (c) => c.monetary,
  avg_order_value: (c) => (c.purchaseCount > 0 ? c.monetary / c.purchaseCount : null),
  tenure_months: tenureMonths,
  purchase_cycle_days: purchaseCycleDays,
  clv_historical: (c) => c.monetary,
  rfm_score_sum: (c, k) => {
    const r = rScore(c, k);
    return r === null ? null : r + fScore(c, k) + mScore(c, k);
  },
  lifecycle_stage: lifecycleStage,
  nes_status: nesStatus,
  rfm_class: rfmClass,
  r_score: (c, k) => scoreLabel(rScore(c, k)),
  f_score: (c, k) => scoreLabel(fScore(c, k)),
  m_score: (c, k) => scoreLabel(mScore(c, k)),
};

export const CUSTOMER_FIELD_NAMES = Object.keys(
  CUSTOMER_FIELDS
) as (keyof typeof CUSTOMER_FIELDS)[];

/**
 * Every derived field of one customer as of `q.asOf`, plus `attr.<name>` for each attribute.
 * Convenient for inspection and tests; computeSegmentVector evaluates only the fields a query
 * names, without building this object.
 */
export function deriveCustomerFields(
  c: CustomerSummary,
  q: Pick<SegmentQuery, 'asOf' | 'params'>,
  k = deriveContext(q)
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const name of CUSTOMER_FIELD_NAMES) out[name] = CUSTOMER_FIELDS[name](c, k);
  for (const [name, v] of Object.entries(c.attributes)) out[`attr.${name}`] = v;
  return out;
}
