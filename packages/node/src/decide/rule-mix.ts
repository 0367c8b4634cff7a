import type { Decision } from './decision.ts';

/**
 * Counts over a run of decisions: how often each rule fired, each no-action reason, each action
 * and channel. Counts only, no customer id: this is what the decision log keeps and the node
 * console shows (docs/decide.md "Decision log").
 */
export interface RuleMix {
  decisions: number;
  withAction: number;
  rules: Record<string, number>;
  reasons: Record<string, number>;
  actions: Record<string, number>;
  channels: Record<string, number>;
}

export function emptyMix(): RuleMix {
  return { decisions: 0, withAction: 0, rules: {}, reasons: {}, actions: {}, channels: {} };
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Adds one decision; a rule that fired twice in one decision (fatigue) counts once. */
export function addToMix(mix: RuleMix, d: Decision): void {
  mix.decisions++;
  let seen = '';
  for (const r of d.rules) {
    if (seen.includes(`|${r.rule}|`)) continue;
    seen += `|${r.rule}|`;
    bump(mix.rules, r.rule);
  }
  if (d.action) {
    mix.withAction++;
    bump(mix.actions, d.action.id);
    if (d.channel) bump(mix.channels, d.channel);
  } else if (d.reason) bump(mix.reasons, d.reason);
}

/** Adds `b` into `a`. */
export function mergeMix(a: RuleMix, b: RuleMix): RuleMix {
  a.decisions += b.decisions;
  a.withAction += b.withAction;
  for (const key of ['rules', 'reasons', 'actions', 'channels'] as const)
    for (const [k, n] of Object.entries(b[key])) a[key][k] = (a[key][k] ?? 0) + n;
  return a;
}
