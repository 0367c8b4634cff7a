/**
 * Wall-clock time in the decision policy's time zone, for do-not-disturb windows
 * (docs/decide.md "Do-not-disturb"). The offset from UTC comes from Intl (the platform's tz
 * database) and is cached per 15-minute bucket: every real zone changes its offset on a quarter
 * hour, and a batch of a million decisions asks about the same few hours.
 */

const MINUTE_MS = 60_000;
const BUCKET_MS = 15 * MINUTE_MS;
const DAY_MINUTES = 1440;

export interface LocalTime {
  /** Monday = 0 ... Sunday = 6, in the zone. */
  weekday: number;
  /** Minutes since local midnight, 0..1439. */
  minute: number;
  /** Local wall-clock as `YYYY-MM-DD HH:MM`. */
  text: string;
}

export interface LocalClock {
  timeZone: string;
  /** Local minus UTC in minutes at `ms`. */
  offsetMinutes(ms: number): number;
  at(ms: number): LocalTime;
}

export function createLocalClock(timeZone: string): LocalClock {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const cache = new Map<number, number>();
  const offsetMinutes = (ms: number): number => {
    const bucket = Math.floor(ms / BUCKET_MS);
    let off = cache.get(bucket);
    if (off === undefined) {
      const at = bucket * BUCKET_MS;
      const p: Record<string, number> = {};
      for (const part of fmt.formatToParts(at))
        if (part.type !== 'literal') p[part.type] = Number(part.value);
      const wall = Date.UTC(
        p['year'] as number,
        (p['month'] as number) - 1,
        p['day'] as number,
        p['hour'] as number,
        p['minute'] as number,
        p['second'] as number
      );
      off = Math.round((wall - at) / MINUTE_MS);
      if (cache.size > 4096) cache.clear();
      cache.set(bucket, off);
    }
    return off;
  };
  return {
    timeZone,
    offsetMinutes,
    at(ms) {
      const local = ms + offsetMinutes(ms) * MINUTE_MS;
      const localMinutes = Math.floor(local / MINUTE_MS);
      const day = Math.floor(localMinutes / DAY_MINUTES);
      return {
        weekday: (((day + 3) % 7) + 7) % 7, // 1970-01-01 was a Thursday
        minute: localMinutes - day * DAY_MINUTES,
        text: new Date(localMinutes * MINUTE_MS).toISOString().slice(0, 16).replace('T', ' '),
      };
    },
  };
}
