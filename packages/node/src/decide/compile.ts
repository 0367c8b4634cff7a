import { LIFECYCLE_STAGES, canonicalHash, type Canonical } from '@fedmark/protocol';
import { compileDnd, type CompiledDnd } from './dnd.ts';
import { createLocalClock, type LocalClock } from './local-clock.ts';
import type { ChannelRule, DecisionAction, DecisionPolicy, Stage } from './policy-schema.ts';
import type { RateTable } from './response-rates.ts';

/**
 * A decision policy made ready to decide millions of times: actions sorted and grouped by
 * lifecycle stage, do-not-disturb windows compiled, the time zone's clock and the rate table
 * attached. Pure: the files it names are read by policy-file.ts.
 */
export interface CompiledPolicy {
  policy: DecisionPolicy;
  /** canonicalHash of the policy: names it in logs, decision runs and audiences. */
  hash: string;
  clock: LocalClock;
  dnd: CompiledDnd[];
  rates: RateTable | null;
  channels: ReadonlyMap<string, ChannelRule>;
  /** Eligible actions per stage, highest priority first (file order among equals). */
  byStage: Readonly<Record<Stage, readonly DecisionAction[]>>;
  /** CLV tier of a value (null: no tiers declared or no value). */
  tierOf(value: number | null): string | null;
  /** Per (channel, moment) send plans; a batch decides at one moment, so each is made once. */
  planCache: Map<string, unknown>;
}

export function decisionPolicyHash(policy: DecisionPolicy): string {
  return canonicalHash('decision-policy', policy as unknown as Canonical);
}

export function compilePolicy(
  policy: DecisionPolicy,
  opts: { rates?: RateTable | null } = {}
): CompiledPolicy {
  const sorted = policy.actions
    .map((a, i) => ({ a, i }))
    .sort((x, y) => y.a.priority - x.a.priority || x.i - y.i)
    .map((x) => x.a);
  const byStage = Object.fromEntries(
    LIFECYCLE_STAGES.map((stage) => [
      stage,
      sorted.filter((a) =>
        a.stages ? a.stages.includes(stage) : policy.strategies[stage] === a.strategy
      ),
    ])
  ) as Record<Stage, DecisionAction[]>;
  const tiers = policy.clv?.tiers ?? [];
  return {
    policy,
    hash: decisionPolicyHash(policy),
    clock: createLocalClock(policy.timeZone),
    dnd: compileDnd(policy.doNotDisturb),
    rates: opts.rates ?? null,
    channels: new Map(policy.channels.map((c) => [c.name, c])),
    byStage,
    tierOf(value) {
      if (value === null || tiers.length === 0) return null;
      let tier: string | null = null;
      for (const t of tiers) if (value >= t.min) tier = t.name;
      return tier;
    },
    planCache: new Map(),
  };
}
