import type { BudgetPeriod } from '@fedmark/protocol';

/**
 * UTC calendar periods for privacy budgets. A budget rule caps the epsilon released within one
 * period; releases in different periods are not summed (the rule says how often the node's
 * data owner accepts a fresh allowance, a policy choice, not a DP theorem: see docs/privacy.md).
 */

const DAY_MS = 86_400_000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function checkDate(at: Date): void {
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw new TypeError('"at" expected a valid Date');
}

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
function isoWeek(at: Date): { year: number; week: number; mondayMs: number } {
  const dayMs = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const dow = (new Date(dayMs).getUTCDay() + 6) % 7; // Monday = 0
  const mondayMs = dayMs - dow * DAY_MS;
  const thursday = new Date(mondayMs + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { year, week, mondayMs };
}

/** The period's key at `at`: '2026-11-22', '2026-W47', '2026-11', '2026-Q4', '2026' or 'total'. */
export function periodKey(period: BudgetPeriod, at: Date): string {
  checkDate(at);
  const y = pad(at.getUTCFullYear(), 4);
  const m = at.getUTCMonth();
  switch (period) {
    case 'day':
      return `${y}-${pad(m + 1)}-${pad(at.getUTCDate())}`;
    case 'week': {
      const w = isoWeek(at);
      return `${pad(w.year, 4)}-W${pad(w.week)}`;
    }
    case 'month':
      return `${y}-${pad(m + 1)}`;
    case 'quarter':
      return `${y}-Q${Math.floor(m / 3) + 1}`;
    case 'year':
      return y;
    case 'total':
      return 'total';
  }
}

/** [startMs, endMs) of the period holding `at`; `total` spans all time. */
export function periodRange(period: BudgetPeriod, at: Date): { startMs: number; endMs: number } {
  checkDate(at);
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  switch (period) {
    case 'day': {
      const start = Date.UTC(y, m, at.getUTCDate());
      return { startMs: start, endMs: start + DAY_MS };
    }
    case 'week': {
      const { mondayMs } = isoWeek(at);
      return { startMs: mondayMs, endMs: mondayMs + 7 * DAY_MS };
    }
    case 'month':
      return { startMs: Date.UTC(y, m, 1), endMs: Date.UTC(y, m + 1, 1) };
    case 'quarter': {
      const q = Math.floor(m / 3) * 3;
      return { startMs: Date.UTC(y, q, 1), endMs: Date.UTC(y, q + 3, 1) };
    }
    case 'year':
      return { startMs: Date.UTC(y, 0, 1), endMs: Date.UTC(y + 1, 0, 1) };
    case 'total':
      return { startMs: Number.MIN_SAFE_INTEGER, endMs: Number.MAX_SAFE_INTEGER };
  }
}

/** Micro-epsilon as an exact decimal (the one implementation lives in the protocol package). */
export { formatEpsilonMicro } from '@fedmark/protocol';
