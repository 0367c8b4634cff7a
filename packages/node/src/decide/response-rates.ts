import {
  JobResultSchema,
  ProtocolError,
  RoundResultSchema,
  type ResultCell,
  type RoundResult,
} from '@fedmark/protocol';

/**
 * Federated response rates per channel x hour of week, read from a PUBLISHED result (what
 * `fedmark job result --json` prints): a touch-unit job with dimensions `channel` and
 * `hour_of_week` and the measure `responded` (docs/decide.md "Response rates"). The figures are
 * already noised and public, so using them needs no private data of any other node.
 */

export const HOURS_PER_WEEK = 168;

/** Rate per hour of week (UTC, Monday 00:00 = 0) for each channel that has one. */
export type RateTable = ReadonlyMap<string, Float64Array>;

/** Hours a label covers: a category "42", or a bin "[a,b)", "<a", ">=a" (protocol layout.ts). */
export function hoursOfLabel(label: string): number[] {
  const num = '(-?\\d+(?:\\.\\d+)?)';
  const bin = new RegExp(`^\\[${num},${num}\\)$`).exec(label);
  const below = new RegExp(`^<${num}$`).exec(label);
  const above = new RegExp(`^>=${num}$`).exec(label);
  let lo: number;
  let hi: number;
  if (/^\d{1,3}$/.test(label)) lo = hi = Number(label);
  else if (bin) {
    lo = Math.ceil(Number(bin[1]));
    hi = Math.ceil(Number(bin[2])) - 1;
  } else if (below) {
    lo = 0;
    hi = Math.ceil(Number(below[1])) - 1;
  } else if (above) {
    lo = Math.ceil(Number(above[1]));
    hi = HOURS_PER_WEEK - 1;
  } else return [];
  const out: number[] = [];
  for (let h = Math.max(0, lo); h <= Math.min(HOURS_PER_WEEK - 1, hi); h++) out.push(h);
  return out;
}

function pickRound(data: unknown, round: number | undefined, source: string): RoundResult {
  const job = JobResultSchema.safeParse(data);
  if (job.success) {
    const r =
      round === undefined ? job.data.rounds.at(-1) : job.data.rounds.find((x) => x.round === round);
    if (!r)
      throw new ProtocolError(
        'BAD_REQUEST',
        `${source}: job ${job.data.jobId} has no ${round === undefined ? 'published round' : `round ${round}`}`
      );
    return r;
  }
  const single = RoundResultSchema.safeParse(data);
  if (single.success) return single.data;
  throw new ProtocolError(
    'BAD_REQUEST',
    `${source}: not a published result (expected the JSON of "fedmark job result --json")`
  );
}

function dimensionsOf(r: RoundResult, source: string): { channel: number; hour: number } {
  const dims = (r.interpretation as { dimensions?: unknown } | undefined)?.dimensions;
  const names = Array.isArray(dims) ? (dims as unknown[]) : [];
  const channel = names.indexOf('channel');
  const hour = names.indexOf('hour_of_week');
  if (names.length !== 2 || channel < 0 || hour < 0)
    throw new ProtocolError(
      'BAD_REQUEST',
      `${source}: round ${r.round} has dimensions ${JSON.stringify(names)}; expected channel and hour_of_week`
    );
  return { channel, hour };
}

/**
 * The rate table of a published result. Means marked unreliable (a small noisy count, a wide
 * interval) are left out; an hour without a reliable figure gets its channel's mean over the
 * hours that have one, so a noisy cell neither wins nor disqualifies an hour on its own.
 */
export function rateTableFromResult(
  data: unknown,
  opts: { round?: number; source?: string } = {}
): RateTable {
  const source = opts.source ?? 'response rates';
  const r = pickRound(data, opts.round, source);
  const at = dimensionsOf(r, source);
  const means = r.cells.filter((c) => c.block === 'mean:responded');
  if (means.length === 0)
    throw new ProtocolError(
      'BAD_REQUEST',
      `${source}: round ${r.round} has no mean:responded cells (the job needs the measure "responded")`
    );
  const sums = new Map<string, { sum: Float64Array; n: Float64Array }>();
  const add = (c: ResultCell): void => {
    if (c.unreliable === true) return;
    const channel = c.labels[at.channel];
    const hourLabel = c.labels[at.hour];
    if (channel === undefined || hourLabel === undefined || channel.startsWith('__')) return;
    let s = sums.get(channel);
    if (!s) {
      s = { sum: new Float64Array(HOURS_PER_WEEK), n: new Float64Array(HOURS_PER_WEEK) };
      sums.set(channel, s);
    }
    const rate = Math.min(1, Math.max(0, c.estimate));
    for (const h of hoursOfLabel(hourLabel)) {
      s.sum[h] = (s.sum[h] as number) + rate;
      s.n[h] = (s.n[h] as number) + 1;
    }
  };
  for (const c of means) add(c);
  const table = new Map<string, Float64Array>();
  for (const [channel, s] of sums) {
    let total = 0;
    let known = 0;
    for (let h = 0; h < HOURS_PER_WEEK; h++)
      if ((s.n[h] as number) > 0) {
        total += (s.sum[h] as number) / (s.n[h] as number);
        known++;
      }
    if (known === 0) continue;
    const fill = total / known;
    const rates = new Float64Array(HOURS_PER_WEEK);
    for (let h = 0; h < HOURS_PER_WEEK; h++)
      rates[h] = (s.n[h] as number) > 0 ? (s.sum[h] as number) / (s.n[h] as number) : fill;
    table.set(channel, rates);
  }
  return table;
}
