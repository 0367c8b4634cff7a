/**
 * Internal, tests and benchmarks only: the CDNOW 1/10 sample of test/data (README there) as
 * the CLV models read it. The calibration period is the 39 weeks to 1997-09-30 (the summary's
 * T = 38.86 weeks for a customer who first bought on 1997-01-01 is 272 days to that date) and the
 * holdout the next 39 weeks, 1997-10-01 to 1998-06-30 (Fader, Hardie and Lee 2005 §4). As in the
 * paper, purchases on one day are one transaction (their amounts add up).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/data');
const DAY_MS = 86_400_000;
const START = Date.UTC(1997, 0, 1);
const CAL_END = Date.UTC(1997, 8, 30);
const HOLDOUT_END = Date.UTC(1998, 5, 30);

export interface CdnowCustomer {
  id: number;
  /** Calibration repeat transactions, time of the last one and age, weeks. */
  frequency: number;
  recency: number;
  T: number;
  /** Mean amount of the calibration repeat transactions (0 when there are none). */
  monetary: number;
  /** Transactions in the 39-week holdout. */
  holdout: number;
}

/** The published summary (ID,frequency,recency,T) as shipped. */
export function cdnowSummary(): { id: number; frequency: number; recency: number; T: number }[] {
  const lines = readFileSync(join(DATA, 'cdnow_customers_summary.csv'), 'utf8').trim().split('\n');
  return lines.slice(1).map((l) => {
    const [id, f, r, t] = l.split(',').map(Number) as [number, number, number, number];
    return { id, frequency: f, recency: r, T: t };
  });
}

/** Every customer of CDNOW_sample.txt, summarised from the transactions themselves. */
export function cdnowCustomers(): CdnowCustomer[] {
  const days = new Map<number, Map<number, number>>();
  for (const line of readFileSync(join(DATA, 'CDNOW_sample.txt'), 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const id = Number(f[1]);
    const d = f[2] as string;
    const t = Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)));
    const day = Math.round((t - START) / DAY_MS);
    const m = days.get(id) ?? new Map<number, number>();
    days.set(id, m);
    m.set(day, (m.get(day) ?? 0) + Number(f[4]));
  }
  const calEnd = (CAL_END - START) / DAY_MS;
  const holdEnd = (HOLDOUT_END - START) / DAY_MS;
  return [...days.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([id, m]) => {
      const all = [...m.keys()].sort((x, y) => x - y);
      const first = all[0] as number;
      const cal = all.filter((d) => d <= calEnd);
      const repeats = cal.slice(1);
      const last = cal[cal.length - 1] as number;
      const spend = repeats.reduce((s, d) => s + (m.get(d) as number), 0);
      return {
        id,
        frequency: repeats.length,
        recency: (last - first) / 7,
        T: (calEnd - first) / 7,
        monetary: repeats.length > 0 ? spend / repeats.length : 0,
        holdout: all.filter((d) => d > calEnd && d <= holdEnd).length,
      };
    });
}
