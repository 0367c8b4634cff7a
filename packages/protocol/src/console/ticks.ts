/**
 * "Nice" axis ticks (1, 2, 2.5, 5 x 10^k steps) covering [min, max] with about `count` ticks.
 * Pure, so the charts' scales are testable without a browser.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max))
    throw new RangeError('niceTicks: min and max must be finite');
  if (max < min) [min, max] = [max, min];
  // A range too narrow for float steps (or empty) is widened around its value.
  if (max - min <= Math.max(1, Math.abs(min)) * 1e-9) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const start = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks.at(-1) ?? max) < max)
    ticks.push(Number((start + ticks.length * step).toPrecision(12)));
  return ticks;
}

/** Short tick label: 12_500 -> "12.5k", 0.125 -> "0.125". */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}
