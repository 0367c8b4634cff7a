/**
 * Exactness of every derived segmentation on a hand-built set of customers, as of 2024-07-01
 * with the default parameters: lifecycle intro < 3 months <= growth < 12 <= mature, decline
 * after more than 90 inactive days; NES new within 30 days, multiples 1.5/2.5/3.5, default
 * cycle 90; score thresholds R [30,90,180,365], F [2,3,5,10], M [50,100,250,500].
 */
import { describe, expect, it } from 'vitest';
import { SegmentQuerySchema } from '@fedmark/protocol';
import { civilOfDay, dayOfIso, hourOfWeek, wholeMonthsBetween, DAY_MS } from './_days.ts';
import { deriveCustomerFields } from './customer-fields.ts';
import type { CustomerSummary } from './types.ts';

const day = dayOfIso;
const AS_OF = '2024-07-01';
const q = SegmentQuerySchema.parse({
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: AS_OF,
  epsilon: 1,
});
const qMeans = SegmentQuerySchema.parse({
  ...q,
  params: {
    ...q.params,
    rfm: { ...q.params.rfm, means: { recency: 30, frequency: 3, monetary: 100 } },
  },
});

interface Spec {
  signup?: string;
  first?: string;
  last?: string;
  days?: number;
  count?: number;
  monetary?: number;
  active?: string;
  attributes?: Record<string, string | number | null>;
}

function customer(id: string, s: Spec): CustomerSummary {
  const lastPurchaseDay = s.last ? day(s.last) : null;
  return {
    customerId: id,
    signupDay: s.signup ? day(s.signup) : null,
    attributes: s.attributes ?? {},
    purchaseCount: s.count ?? 0,
    purchaseDays: s.days ?? 0,
    firstPurchaseDay: s.first ? day(s.first) : null,
    lastPurchaseDay,
    lastActivityDay: s.active ? day(s.active) : lastPurchaseDay,
    monetary: s.monetary ?? 0,
  };
}

const f = (c: CustomerSummary, query = q): Record<string, string | number | null> =>
  deriveCustomerFields(c, query);

describe('calendar helpers', () => {
  it('civilOfDay agrees with Date over 1900-2100 and whole months count completed months', () => {
    for (let d = day('1900-01-01'); d <= day('2100-12-31'); d += 17) {
      const date = new Date(d * DAY_MS);
      expect(civilOfDay(d)).toEqual({
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
      });
    }
    const m = (a: string, b: string): number =>
      wholeMonthsBetween(civilOfDay(day(a)), civilOfDay(day(b)));
    expect(m('2024-01-31', '2024-02-29')).toBe(0); // day 31 not reached in February
    expect(m('2024-01-31', '2024-03-31')).toBe(2);
    expect(m('2024-04-01', '2024-07-01')).toBe(3);
    expect(m('2024-08-01', '2024-07-01')).toBe(0); // a start after asOf counts as 0, never negative
  });

  it('hour of week is Monday-based UTC', () => {
    expect(hourOfWeek(Date.parse('2024-07-01T00:00:00Z'))).toBe(0); // a Monday
    expect(hourOfWeek(Date.parse('2024-06-30T23:59:59Z'))).toBe(167); // Sunday 23h
    expect(hourOfWeek(Date.parse('2024-07-03T05:10:00Z'))).toBe(2 * 24 + 5); // Wednesday 05h
    expect(hourOfWeek(Date.parse('1969-12-29T01:00:00Z'))).toBe(1); // Monday before the epoch
  });
});

describe('lifecycle stage', () => {
  it('puts tenure exactly on the month boundaries into the later stage', () => {
    // signup 2024-04-01 -> 3 whole months at 2024-07-01 -> growth; 2024-04-02 -> 2 months -> intro.
    expect(f(customer('a', { signup: '2024-04-01', active: '2024-06-30' }))).toMatchObject({
      tenure_months: 3,
      lifecycle_stage: 'growth',
    });
    expect(f(customer('b', { signup: '2024-04-02', active: '2024-06-30' }))).toMatchObject({
      tenure_months: 2,
      lifecycle_stage: 'intro',
    });
    // 2023-07-01 -> exactly 12 months -> mature; 2023-07-02 -> 11 months -> growth.
    expect(f(customer('c', { signup: '2023-07-01', active: '2024-06-01' }))).toMatchObject({
      tenure_months: 12,
      lifecycle_stage: 'mature',
    });
    expect(f(customer('c2', { signup: '2023-07-02', active: '2024-06-01' }))).toMatchObject({
      tenure_months: 11,
      lifecycle_stage: 'growth',
    });
    // 42 months: beyond matureMonths (36) but active, so still mature.
    expect(f(customer('d', { signup: '2021-01-01', active: '2024-06-01' }))).toMatchObject({
      tenure_months: 42,
      lifecycle_stage: 'mature',
    });
  });

  it('declines after more than 90 inactive days: 90 days stays, 91 declines, none declines', () => {
    // 2024-04-02 is 90 days before 2024-07-01; signup 2024-01-01 gives 6 months (growth).
    expect(day(AS_OF) - day('2024-04-02')).toBe(90);
    expect(f(customer('e', { signup: '2024-01-01', active: '2024-04-02' }))).toMatchObject({
      lifecycle_stage: 'growth',
    });
    expect(f(customer('f', { signup: '2024-01-01', active: '2024-04-01' }))).toMatchObject({
      lifecycle_stage: 'decline',
    });
    expect(f(customer('g', { signup: '2024-06-01' }))).toMatchObject({
      tenure_months: 1,
      lifecycle_stage: 'decline',
    });
  });

  it('takes tenure from the first purchase without a signup date, and is null with neither', () => {
    // first purchase 2024-05-15 -> 1 whole month at 2024-07-01 -> intro.
    expect(
      f(customer('h', { first: '2024-05-15', last: '2024-05-15', days: 1, count: 1, monetary: 20 }))
    ).toMatchObject({ tenure_months: 1, lifecycle_stage: 'intro' });
    expect(f(customer('i', { active: '2024-06-20' }))).toMatchObject({
      tenure_months: null,
      lifecycle_stage: null,
    });
  });
});

describe('NES status', () => {
  it('is new when the first purchase is at most newDays (30) before asOf', () => {
    // asOf - 30 days = 2024-06-01 -> new; 2024-05-31 (31 days) -> not new, one purchase day ->
    // default cycle 90, recency 31, ratio 0.344 -> E0.
    expect(
      f(customer('n1', { first: '2024-06-01', last: '2024-06-01', days: 1, count: 1 }))[
        'nes_status'
      ]
    ).toBe('new');
    expect(
      f(customer('n2', { first: '2024-05-31', last: '2024-05-31', days: 1, count: 1 }))[
        'nes_status'
      ]
    ).toBe('E0');
  });

  it('splits sleeping tiers at the multiples of the own purchase cycle, boundaries inclusive', () => {
    // 3 purchase days from 2024-01-01 to 2024-01-21: cycle (20 / 2) = 10 days.
    const at = (recency: number): CustomerSummary => {
      const c = customer('s', { first: '2024-01-01', last: '2024-01-21', days: 3, count: 3 });
      return {
        ...c,
        lastPurchaseDay: day(AS_OF) - recency,
        firstPurchaseDay: day(AS_OF) - recency - 20,
        lastActivityDay: day(AS_OF) - recency,
      };
    };
    const tiers = [15, 16, 25, 26, 35, 36].map((r) => f(at(r))['nes_status']);
    expect(tiers).toEqual(['E0', 'S1', 'S1', 'S2', 'S2', 'S3']);
    expect(f(at(15))['purchase_cycle_days']).toBe(10);
    // One purchase day: default cycle 90 -> recency 136 is 1.51 cycles -> S1; 315 = 3.5 -> S2.
    const once = (recency: number): CustomerSummary => {
      const c = customer('o', {
        first: '2023-01-01',
        last: '2023-01-01',
        days: 1,
        count: 2,
        monetary: 1,
      });
      return {
        ...c,
        lastPurchaseDay: day(AS_OF) - recency,
        firstPurchaseDay: day(AS_OF) - recency,
      };
    };
    expect(f(once(136))['nes_status']).toBe('S1');
    expect(f(once(315))['nes_status']).toBe('S2');
    expect(f(once(316))['nes_status']).toBe('S3');
  });

  it('is null without a purchase', () => {
    expect(f(customer('g', { signup: '2024-06-01' }))['nes_status']).toBeNull();
  });
});

describe('RFM', () => {
  it('scores at the thresholds: F/M count thresholds <= value, R counts thresholds >= value', () => {
    // recency 30 -> all 4 thresholds >= 30 -> 5; F 2 -> 1 threshold (2) <= 2 -> 2; M 50 -> 2.
    const a = customer('r1', {
      first: '2024-01-01',
      last: '2024-06-01',
      days: 2,
      count: 2,
      monetary: 50,
    });
    expect(f(a)).toMatchObject({
      recency_days: 30,
      r_score: '5',
      f_score: '2',
      m_score: '2',
      rfm_score_sum: 9,
    });
    // recency 31 -> 4; F 10 -> 5; M 49.99 -> 1.
    const b = customer('r2', {
      first: '2024-01-01',
      last: '2024-05-31',
      days: 10,
      count: 10,
      monetary: 49.99,
    });
    expect(f(b)).toMatchObject({
      recency_days: 31,
      r_score: '4',
      f_score: '5',
      m_score: '1',
      rfm_score_sum: 10,
    });
    // recency 365 -> 2, 366 -> 1; F 1 -> 1; M 500 -> 5.
    const c = customer('r3', {
      first: '2023-07-02',
      last: '2023-07-02',
      days: 1,
      count: 1,
      monetary: 500,
    });
    expect(f(c)).toMatchObject({
      recency_days: 365,
      r_score: '2',
      f_score: '1',
      m_score: '5',
      rfm_score_sum: 8,
    });
    const d = customer('r4', {
      first: '2023-07-01',
      last: '2023-07-01',
      days: 1,
      count: 1,
      monetary: 0,
    });
    expect(f(d)).toMatchObject({ recency_days: 366, r_score: '1', rfm_score_sum: 3 });
  });

  it('classifies high/low against the means: R+ iff R < mean, F+ iff F > mean, M+ iff M > mean', () => {
    // means R 30, F 3, M 100. recency 30 is not below 30 -> R-; F 3 not above 3 -> F-; M 100.01 -> M+.
    const onMeans = customer('k1', {
      first: '2024-01-01',
      last: '2024-06-01',
      days: 3,
      count: 3,
      monetary: 100.01,
    });
    expect(f(onMeans, qMeans)['rfm_class']).toBe('R-F-M+');
    // recency 29, F 4, M 100 -> R+F+M-.
    const k2 = customer('k2', {
      first: '2024-01-01',
      last: '2024-06-02',
      days: 4,
      count: 4,
      monetary: 100,
    });
    expect(f(k2, qMeans)['rfm_class']).toBe('R+F+M-');
    expect(f(k2)['rfm_class']).toBeNull(); // no means given
    expect(f(customer('g', { signup: '2024-06-01' }), qMeans)['rfm_class']).toBeNull(); // no purchase
  });

  it('derives the value fields and leaves undefined ones null', () => {
    // 4 purchases on 3 days between 2024-03-01 and 2024-05-01 (61 days): cycle 30.5, AOV 62.5.
    const c = customer('v', {
      signup: '2023-12-15',
      first: '2024-03-01',
      last: '2024-05-01',
      days: 3,
      count: 4,
      monetary: 250,
      attributes: { region: 'north', age: 41 },
    });
    expect(f(c)).toEqual({
      recency_days: 61,
      frequency: 4,
      monetary: 250,
      avg_order_value: 62.5,
      tenure_months: 6,
      purchase_cycle_days: 30.5,
      clv_historical: 250,
      rfm_score_sum: 4 + 3 + 4,
      lifecycle_stage: 'growth',
      nes_status: 'S1', // recency 61 / cycle 30.5 = 2.0 cycles: above 1.5, at most 2.5
      rfm_class: null,
      r_score: '4',
      f_score: '3',
      m_score: '4',
      'attr.region': 'north',
      'attr.age': 41,
    });
  });

  it('gives a customer without purchases F/M scores 1 and nulls for R-based fields', () => {
    expect(f(customer('g', { signup: '2024-06-01' }))).toMatchObject({
      recency_days: null,
      frequency: 0,
      monetary: 0,
      avg_order_value: null,
      purchase_cycle_days: null,
      r_score: null,
      f_score: '1',
      m_score: '1',
      rfm_score_sum: null,
    });
  });
});
