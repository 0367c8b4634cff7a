import type { CompiledPolicy } from './compile.ts';
import type { CustomerFacts, Decision, FiredRule, NoActionReason } from './decision.ts';
import type { DecisionAction } from './policy-schema.ts';
import { sendPlan, type SendPlan } from './send-plan.ts';

/**
 * The next best action for one customer (docs/decide.md "Decisions"), a pure function of the
 * compiled policy, the customer's facts and the moment. In order:
 * 1. consent: no `marketing` consent in force, no action (erased and unknown customers neither);
 * 2. lifecycle: the stage's strategy (intro best-sellers, growth cross-sell, mature high-margin,
 *    decline win-back) selects the actions for it;
 * 3. CLV tier and model score thresholds narrow them; the highest priority that passes wins;
 * 4. fatigue: a channel with `maxTouchesPer7Days` touches already is replaced by its backup
 *    (and that by its own, never twice the same); an action left with no channel gives way to
 *    the next one;
 * 5. channel and send time: the best published response rate within `sendWithinHours`, outside
 *    do-not-disturb (send-plan.ts).
 * Every decision lists the rules that fired, so a reviewer can see why.
 */

const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function none(f: CustomerFacts, reason: NoActionReason, rules: FiredRule[]): Decision {
  return {
    customerId: f.customerId,
    action: null,
    channel: null,
    sendAt: null,
    sendAtLocal: null,
    reason,
    rules,
  };
}

const fmt = (x: number): string => String(Math.round(x * 1e4) / 1e4);

/** The score rules an action needs, as fired rules, or null when one fails or has no score. */
function scoresHold(a: DecisionAction, f: CustomerFacts): FiredRule[] | null {
  const fired: FiredRule[] = [];
  for (const s of a.scores) {
    const v = f.scores[s.model];
    if (v === null || v === undefined) return null;
    if (s.min !== undefined && v < s.min) return null;
    if (s.max !== undefined && v > s.max) return null;
    const bounds = [
      s.min === undefined ? null : `>= ${s.min}`,
      s.max === undefined ? null : `<= ${s.max}`,
    ].filter((x) => x !== null);
    fired.push({ rule: 'score', detail: `${s.model} ${fmt(v)} ${bounds.join(' and ')}` });
  }
  return fired;
}

/** The action's channels after the fatigue rule, each with the rules that moved it. */
function channelsAfterFatigue(
  p: CompiledPolicy,
  a: DecisionAction,
  f: CustomerFacts
): { channels: string[]; rules: FiredRule[] } {
  const out: string[] = [];
  const rules: FiredRule[] = [];
  for (const wanted of a.channels) {
    let c: string | null = wanted;
    let open = false;
    const seen = new Set<string>();
    while (c !== null && !seen.has(c)) {
      seen.add(c);
      const rule = p.channels.get(c);
      const n = f.touches7d[c] ?? 0;
      if (!rule || n < rule.maxTouchesPer7Days) {
        open = true;
        break;
      }
      rules.push({
        rule: 'fatigue',
        detail: `${c}: ${n} touches in 7 days, limit ${rule.maxTouchesPer7Days}`,
      });
      c = rule.backup;
    }
    if (!open || c === null) continue;
    if (c !== wanted) rules.push({ rule: 'backup_channel', detail: `${wanted} -> ${c}` });
    if (!out.includes(c)) out.push(c);
  }
  return { channels: out, rules };
}

/** Best plan among channels: highest rate (none lowest), then earliest, then preference order. */
function bestChannel(
  p: CompiledPolicy,
  channels: readonly string[],
  nowMs: number
): { channel: string; plan: SendPlan } | null {
  let best: { channel: string; plan: SendPlan } | null = null;
  for (const channel of channels) {
    const plan = sendPlan(p, channel, nowMs);
    if (!plan) continue;
    if (!best) {
      best = { channel, plan };
      continue;
    }
    const r = plan.rate ?? -1;
    const br = best.plan.rate ?? -1;
    if (r > br || (r === br && plan.ms < best.plan.ms)) best = { channel, plan };
  }
  return best;
}

export function decide(p: CompiledPolicy, f: CustomerFacts, now: Date): Decision {
  if (f.status === 'erased') return none(f, 'erased', []);
  if (f.status === 'unknown') return none(f, 'unknown_customer', []);
  if (!f.marketingConsent)
    return none(f, 'no_marketing_consent', [
      { rule: 'consent', detail: 'no marketing consent in force' },
    ]);
  const rules: FiredRule[] = [{ rule: 'consent', detail: 'marketing consent in force' }];
  if (f.stage === null) return none(f, 'no_lifecycle_stage', rules);
  rules.push({
    rule: 'lifecycle',
    detail: `${f.stage} -> ${p.policy.strategies[f.stage]}`,
  });
  const tier = p.tierOf(f.clvValue);
  if (p.policy.clv)
    rules.push({
      rule: 'clv_tier',
      detail:
        f.clvValue === null
          ? `no ${p.policy.clv.field} value`
          : `${tier ?? 'below every tier'} (${p.policy.clv.field} ${fmt(f.clvValue)})`,
    });
  const nowMs = now.getTime();
  // Why the eligible actions, if any, could not be sent: the last one's fatigue rules explain it.
  let blocked: { reason: NoActionReason; rules: FiredRule[] } | null = null;
  for (const a of p.byStage[f.stage]) {
    if (a.clvTiers && (tier === null || !a.clvTiers.includes(tier))) continue;
    const scoreRules = scoresHold(a, f);
    if (scoreRules === null) continue;
    const moved = channelsAfterFatigue(p, a, f);
    const best = bestChannel(p, moved.channels, nowMs);
    if (!best) {
      blocked = {
        reason: moved.channels.length === 0 ? 'all_channels_fatigued' : 'no_send_time',
        rules: moved.rules,
      };
      continue;
    }
    rules.push(...scoreRules, {
      rule: 'action',
      detail: `${a.id} (campaign ${a.campaign}, priority ${a.priority})`,
    });
    rules.push(...moved.rules);
    const { plan, channel } = best;
    rules.push({
      rule: 'channel',
      detail:
        moved.channels.length > 1
          ? `${channel}: best of ${moved.channels.join(', ')}`
          : `${channel}: the only channel left`,
    });
    const local = p.clock.at(plan.ms);
    if (plan.rate !== null) {
      const day = WEEKDAY_NAMES[Math.floor(plan.hourOfWeek / 24)] as string;
      rules.push({
        rule: 'response_rate',
        detail: `${channel} ${fmt(plan.rate)} at ${day} ${String(plan.hourOfWeek % 24).padStart(2, '0')}:00 UTC`,
      });
    }
    if (plan.pushedBy)
      rules.push({
        rule: 'dnd',
        detail: `do-not-disturb ${plan.pushedBy.label} (${p.clock.timeZone}): send at ${local.text}`,
      });
    return {
      customerId: f.customerId,
      action: { id: a.id, campaign: a.campaign, offer: a.offer ?? null, strategy: a.strategy },
      channel,
      sendAt: new Date(plan.ms).toISOString(),
      sendAtLocal: local.text,
      reason: null,
      rules,
    };
  }
  return blocked
    ? none(f, blocked.reason, [...rules, ...blocked.rules])
    : none(f, 'no_eligible_action', rules);
}
