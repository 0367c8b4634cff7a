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

const ZERO = 48;

/** Value of `n` decimal digits of `s` from `at`, or -1 if any is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The two shapes nearly every export uses, 'YYYY-MM-DD' and 'YYYY-MM-DDTHH:MM:SSZ', read digit
 * by digit without a regular expression or a Date (a 10M-row import parses 10M times); any
 * other shape, and any value this cannot vouch for, returns undefined for the general parser.
 * The results equal it exactly (_time.test.ts).
 */
function parseCommon(s: string): number | null | undefined {
  const n = s.length;
  if ((n !== 10 && n !== 20) || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 100 || mo < 1 || mo > 12 || d < 1) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : (MONTH_DAYS[mo - 1] as number))) return null;
  const day = daysFromCivil(y, mo, d) * DAY_MS;
  if (n === 10) return day;
  if (s[10] !== 'T' || s[13] !== ':' || s[16] !== ':' || s[19] !== 'Z') return undefined;
  const hh = digits(s, 11, 2);
  const mm = digits(s, 14, 2);
  const ss = digits(s, 17, 2);
  if (hh < 0 || mm < 0 || ss < 0) return undefined;
  if (hh > 23 || mm > 59 || ss > 59) return null;
  return day + ((hh * 60 + mm) * 60 + ss) * 1000;
}

/** 'YYYY-MM-DD' or ISO 8601 datetime (offset optional, default UTC) → epoch ms, or null. */
export function parseTime(s: string): number | null {
  const common = parseCommon(s);
  if (common !== undefined) return common;
  return parseAny(s);
}

/** The general parser (every accepted shape); exported for _time.test.ts. */
export function parseAny(s: string): number | null {
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
