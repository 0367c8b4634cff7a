/**
 * Internal: strict date/time parsing for CSV cells. Date.parse is not used because it reads an
 * offset-less ISO datetime as local time; here an offset-less time is UTC, as documented.
 */
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
export const DAY_MS = 86_400_000;

function ymdToMs(y: number, m: number, d: number): number | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const ms = Date.UTC(y, m - 1, d);
  const check = new Date(ms);
  // Date.UTC maps years 0-99 to 1900-1999; refuse those and impossible days like 02-30.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d)
    return null;
  return ms;
}

/** 'YYYY-MM-DD' or ISO 8601 datetime (offset optional, default UTC) → epoch ms, or null. */
export function parseTime(s: string): number | null {
  let m = DATE_RE.exec(s);
  if (m) return ymdToMs(Number(m[1]), Number(m[2]), Number(m[3]));
  m = DATETIME_RE.exec(s);
  if (!m) return null;
  const day = ymdToMs(Number(m[1]), Number(m[2]), Number(m[3]));
  const hh = Number(m[4]);
  const mm = Number(m[5]);
  const ss = m[6] === undefined ? 0 : Number(m[6]);
  if (day === null || hh > 23 || mm > 59 || ss > 59) return null;
  const frac = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  let offsetMin = 0;
  const tz = m[8];
  if (tz !== undefined && tz !== 'Z') {
    const digits = tz.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return null;
    offsetMin = (tz[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return day + ((hh * 60 + mm) * 60 + ss) * 1000 + frac - offsetMin * 60_000;
}

/** Whole UTC days since 1970-01-01 (negative before). */
export function msToDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
