import type { LocalClock } from './local-clock.ts';
import { WEEKDAYS, type DndWindow } from './policy-schema.ts';

/**
 * Do-not-disturb windows (docs/decide.md "Do-not-disturb"): local wall-clock intervals in the
 * policy's time zone during which nothing is sent; a send time inside one is pushed to its end.
 */

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;

export interface CompiledDnd {
  from: number;
  to: number;
  /** Weekdays (Monday = 0) the window starts on. */
  days: ReadonlySet<number>;
  label: string;
}

const minutesOf = (hhmm: string): number =>
  Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function compileDnd(windows: readonly DndWindow[]): CompiledDnd[] {
  return windows.map((w) => {
    const days = new Set(w.days.map((d) => WEEKDAYS.indexOf(d)));
    const every = days.size === 7;
    return {
      from: minutesOf(w.from),
      to: minutesOf(w.to),
      days,
      label: `${w.from}-${w.to}${every ? '' : ` ${w.days.join(',')}`}`,
    };
  });
}

/** Minutes until the window ends, when local (weekday, minute) is inside it; else -1. */
function minutesLeft(w: CompiledDnd, weekday: number, minute: number): number {
  if (w.from < w.to) {
    return w.days.has(weekday) && minute >= w.from && minute < w.to ? w.to - minute : -1;
  }
  // Overnight: the evening part belongs to the start day, the morning part to the day before.
  if (minute >= w.from && w.days.has(weekday)) return DAY_MINUTES - minute + w.to;
  if (minute < w.to && w.days.has((weekday + 6) % 7)) return w.to - minute;
  return -1;
}

export interface Pushed {
  ms: number;
  /** The window that pushed the time (the last one, when several touch), or null. */
  window: CompiledDnd | null;
}

/**
 * The earliest moment at or after `ms` outside every window. The end is the local wall-clock
 * `to`, reached by adding minutes; across a DST change that can land an hour off, so the result
 * is checked again (at most 8 pushes: windows that chain around the whole week are refused by
 * returning null).
 */
export function pushOutOfDnd(
  windows: readonly CompiledDnd[],
  clock: LocalClock,
  ms: number
): Pushed | null {
  let t = ms;
  let by: CompiledDnd | null = null;
  for (let step = 0; step < 8; step++) {
    const local = clock.at(t);
    let hit: CompiledDnd | null = null;
    let left = -1;
    for (const w of windows) {
      const m = minutesLeft(w, local.weekday, local.minute);
      if (m > left) {
        left = m;
        hit = w;
      }
    }
    if (hit === null) return { ms: t, window: by };
    by = hit;
    // To the start of the local minute the window ends on.
    t = t - (t % MINUTE_MS) + left * MINUTE_MS;
  }
  return null;
}
