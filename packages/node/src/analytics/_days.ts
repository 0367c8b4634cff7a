/**
 * Internal calendar arithmetic on whole UTC days since 1970-01-01 (the unit of CustomerSummary).
 * Pure integer maths, no Date objects: segmentation runs once per customer, millions of times.
 */

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Day number of an ISO date `YYYY-MM-DD` (00:00 UTC). */
export function dayOfIso(iso: string): number {
  const ms = Date.parse(`${iso}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || Number.isNaN(ms)) {
    throw new RangeError(`"asOf" expected a date YYYY-MM-DD, got "${iso}"`);
  }
  return ms / DAY_MS;
}

/** Day number of a UTC millisecond timestamp. */
export function dayOfMs(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export interface CivilDate {
  year: number;
  month: number; // 1..12
  day: number; // 1..31
}

/**
 * Proleptic Gregorian date of a day number. Works in 400-year eras of 146097 days with years
 * starting on 1 March, so the leap day is the last day of the year (the usual days-to-civil
 * derivation; checked against Date in customer-fields.test.ts).
 */
export function civilOfDay(dayNumber: number): CivilDate {
  const z = dayNumber + 719_468; // days from 0000-03-01 to 1970-01-01
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // day of era, 0..146096
  // Year of era, 0..399: removes the leap days (every 4 years, not 100, but 400) before / 365.
  const leapDays = Math.floor(doe / 1460) - Math.floor(doe / 36_524) + Math.floor(doe / 146_096);
  const yoe = Math.floor((doe - leapDays) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // from 1 March
  const mp = Math.floor((5 * doy + 2) / 153); // month from March, 0..11
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/**
 * Whole calendar months from `from` to `to`: a month is complete when the day of month is
 * reached again (2024-01-31 -> 2024-02-29 is 0 months, -> 2024-03-31 is 2). Never negative.
 */
export function wholeMonthsBetween(from: CivilDate, to: CivilDate): number {
  const months = (to.year - from.year) * 12 + (to.month - from.month) - (to.day < from.day ? 1 : 0);
  return months < 0 ? 0 : months;
}

/** Hour of the week in UTC, Monday 00:00-00:59 = 0 ... Sunday 23:00-23:59 = 167. */
export function hourOfWeek(ms: number): number {
  const d = Math.floor(ms / DAY_MS);
  const weekday = (((d + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday (Monday-based index 3)
  return weekday * 24 + Math.floor((ms - d * DAY_MS) / HOUR_MS);
}
