import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BUDGET_PERIODS } from '@fedmark/protocol';
import { periodKey, periodRange } from './period.ts';

describe('periodKey / periodRange agree (property)', () => {
  const dates = fc.date({
    min: new Date('1971-01-01T00:00:00Z'),
    max: new Date('2999-12-31T23:59:59Z'),
    noInvalidDate: true,
  });
  const periods = fc.constantFrom(...BUDGET_PERIODS.filter((p) => p !== 'total'));

  it('the range holds the date; its first instant shares the key, its end does not', () => {
    fc.assert(
      fc.property(dates, periods, (at, period) => {
        const { startMs, endMs } = periodRange(period, at);
        expect(startMs).toBeLessThanOrEqual(at.getTime());
        expect(endMs).toBeGreaterThan(at.getTime());
        expect(periodKey(period, new Date(startMs))).toBe(periodKey(period, at));
        expect(periodKey(period, new Date(endMs - 1))).toBe(periodKey(period, at));
        expect(periodKey(period, new Date(endMs))).not.toBe(periodKey(period, at));
      }),
      { numRuns: 500 }
    );
  });

  it('ISO weeks run Monday to Monday and are numbered 1..53', () => {
    fc.assert(
      fc.property(dates, (at) => {
        const { startMs, endMs } = periodRange('week', at);
        expect(new Date(startMs).getUTCDay()).toBe(1);
        expect(endMs - startMs).toBe(7 * 86_400_000);
        const week = Number(periodKey('week', at).split('-W')[1]);
        expect(week).toBeGreaterThanOrEqual(1);
        expect(week).toBeLessThanOrEqual(53);
      }),
      { numRuns: 300 }
    );
  });

  it('refuses an invalid date', () => {
    expect(() => periodKey('month', new Date(Number.NaN))).toThrow(TypeError);
  });
});
