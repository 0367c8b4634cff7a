import { hourOfWeek } from '../analytics/_days.ts';
import type { CompiledPolicy } from './compile.ts';
import { pushOutOfDnd, type CompiledDnd } from './dnd.ts';

/**
 * When to send on one channel (docs/decide.md "Send time"): among the moments of the next
 * `sendWithinHours` (now, and each whole UTC hour after it) that are outside do-not-disturb
 * (a moment inside a window is pushed to the window's end), the one whose published response
 * rate for its hour of week is highest, the earliest among equals. Without published rates for
 * the channel, the earliest moment outside do-not-disturb. Depends on the channel and the moment
 * only, never on the customer, so a batch computes it once per channel.
 */

const HOUR_MS = 3_600_000;

export interface SendPlan {
  ms: number;
  /** The published rate at that hour of week, or null without rates for the channel. */
  rate: number | null;
  hourOfWeek: number;
  /** The window that pushed the chosen moment, or null. */
  pushedBy: CompiledDnd | null;
}

function computePlan(p: CompiledPolicy, channel: string, nowMs: number): SendPlan | null {
  const rates = p.rates?.get(channel) ?? null;
  const first = pushOutOfDnd(p.dnd, p.clock, nowMs);
  if (!first) return null;
  const plan = (ms: number, pushedBy: CompiledDnd | null): SendPlan => {
    const how = hourOfWeek(ms);
    return { ms, rate: rates ? (rates[how] as number) : null, hourOfWeek: how, pushedBy };
  };
  let best = plan(first.ms, first.window);
  if (!rates) return best;
  const end = nowMs + p.policy.sendWithinHours * HOUR_MS;
  for (let b = Math.floor(nowMs / HOUR_MS) * HOUR_MS + HOUR_MS; b < end; b += HOUR_MS) {
    const pushed = pushOutOfDnd(p.dnd, p.clock, b);
    if (!pushed || pushed.ms >= end) continue;
    const cand = plan(pushed.ms, pushed.window);
    if ((cand.rate as number) > (best.rate as number)) best = cand;
  }
  return best;
}

export function sendPlan(p: CompiledPolicy, channel: string, nowMs: number): SendPlan | null {
  const key = `${channel}\u0000${nowMs}`;
  if (p.planCache.has(key)) return p.planCache.get(key) as SendPlan | null;
  const plan = computePlan(p, channel, nowMs);
  if (p.planCache.size > 10_000) p.planCache.clear();
  p.planCache.set(key, plan);
  return plan;
}
