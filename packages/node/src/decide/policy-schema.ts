import { z } from 'zod';
import { LIFECYCLE_STAGES, LifecycleParamsSchema } from '@fedmark/protocol';

/**
 * The decision policy file of `fedmark node decide` and `POST /v1/decide` (docs/decide.md
 * "Policy file"). A local file of the node, never sent anywhere: it names the node's campaigns
 * and offers, the rules that pick one per customer, and the published results it reads.
 * Objects are strict: a misspelt field ("maxTouchesPer7day") is refused, not silently defaulted.
 */

/** Lifecycle strategies of the playbook (docs/decide.md "Lifecycle strategy"). */
export const STRATEGIES = ['best_sellers', 'cross_sell', 'high_margin', 'win_back'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export type Stage = (typeof LIFECYCLE_STAGES)[number];

/** intro: best-sellers, growth: cross-sell, mature: high-margin, decline: win-back. */
export const DEFAULT_STRATEGIES: Record<Stage, Strategy> = {
  intro: 'best_sellers',
  growth: 'cross_sell',
  mature: 'high_margin',
  decline: 'win_back',
};

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const Name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected 1-64 letters, digits, _ . - (no spaces)');
const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time HH:MM (00:00-23:59)');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const ChannelSchema = z.strictObject({
  name: Name,
  /** Where a touch goes when this channel is fatigued; null: nowhere (the channel is skipped). */
  backup: Name.nullable().default(null),
  /** Fatigue rule: at most this many touches in the 7 days before the decision (docs/decide.md; the playbook's rule is 3). */
  maxTouchesPer7Days: z.number().int().min(0).max(1000).default(3),
});

export const DndWindowSchema = z
  .strictObject({
    /** Local wall-clock start and end in the policy's time zone; from > to spans midnight. */
    from: ClockTime,
    to: ClockTime,
    /** Days the window STARTS on (an overnight window ends the next day); default every day. */
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .default([...WEEKDAYS]),
  })
  .refine((w) => w.from !== w.to, { message: 'from and to must differ', path: ['to'] });

export const ScoreRuleSchema = z
  .strictObject({
    /** A key of `models`. */
    model: Name,
    /** Eligible when min <= score (and score <= max): probabilities in [0, 1]. */
    min: z.number().min(0).max(1).optional(),
    max: z.number().min(0).max(1).optional(),
  })
  .refine((s) => s.min !== undefined || s.max !== undefined, {
    message: 'a score rule needs min, max or both',
    path: ['min'],
  })
  .refine((s) => s.min === undefined || s.max === undefined || s.min <= s.max, {
    message: 'min must not exceed max',
    path: ['max'],
  });

export const ActionSchema = z.strictObject({
  id: Name,
  campaign: z.string().min(1).max(200),
  offer: z.string().min(1).max(200).optional(),
  strategy: z.enum(STRATEGIES),
  /** Lifecycle stages it is for; default the stages whose strategy (`strategies`) is its own. */
  stages: z.array(z.enum(LIFECYCLE_STAGES)).min(1).optional(),
  /** CLV tier names (`clv.tiers`) it is for; default every tier, and customers without a value. */
  clvTiers: z.array(Name).min(1).optional(),
  /** Model score thresholds, all of which must hold. */
  scores: z.array(ScoreRuleSchema).max(8).default([]),
  /** Channels in order of preference (declared in `channels`). */
  channels: z.array(Name).min(1).max(16),
  /** Higher first; equal priorities keep file order. */
  priority: z.number().int().min(-1000).max(1000).default(0),
});

export const ClvTierSchema = z.strictObject({
  name: Name,
  /** The tier holds values >= min, up to the next tier's min. */
  min: z.number().finite(),
});

export const ModelRefSchema = z.strictObject({
  /** A model file (`fedmark model export`), relative to the policy file. */
  file: z.string().min(1),
  /** Feature table to score (default: the only table with every model column). */
  table: z.string().min(1).optional(),
});

export const ResponseRatesSchema = z.strictObject({
  /**
   * A published result of a touch-unit job with dimensions channel and hour_of_week and the
   * measure `responded` (`fedmark job result --json`), relative to the policy file.
   */
  file: z.string().min(1),
  /** The round to read (default: the last round). */
  round: z.number().int().min(0).optional(),
});

export const DecisionPolicySchema = z
  .strictObject({
    version: z.literal(1),
    kind: z.literal('decision_policy'),
    name: z.string().min(1).max(200),
    /** IANA time zone of the node's customers: do-not-disturb windows are local times there. */
    timeZone: z.string().refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin'),
    /** Lifecycle stage thresholds, as in a segment query's params.lifecycle. */
    lifecycle: LifecycleParamsSchema.default(LifecycleParamsSchema.parse({})),
    strategies: z
      .strictObject({
        intro: z.enum(STRATEGIES),
        growth: z.enum(STRATEGIES),
        mature: z.enum(STRATEGIES),
        decline: z.enum(STRATEGIES),
      })
      .default(DEFAULT_STRATEGIES),
    clv: z
      .strictObject({
        /** clv_historical (monetary to date), attr.<name> or table.<table>.<column>. */
        field: z
          .string()
          .regex(
            /^(clv_historical|monetary|attr\.[A-Za-z0-9_-]+|table\.[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)$/,
            'expected clv_historical, monetary, attr.<name> or table.<table>.<column>'
          )
          .default('clv_historical'),
        tiers: z.array(ClvTierSchema).min(1).max(16),
      })
      .optional(),
    models: z.record(Name, ModelRefSchema).default({}),
    channels: z.array(ChannelSchema).min(1).max(16),
    doNotDisturb: z.array(DndWindowSchema).max(32).default([]),
    responseRates: ResponseRatesSchema.optional(),
    /** How far ahead the best send hour is looked for. */
    sendWithinHours: z.number().int().min(1).max(168).default(24),
    actions: z.array(ActionSchema).min(1).max(500),
  })
  .superRefine((p, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const channels = new Set<string>();
    p.channels.forEach((c, i) => {
      if (channels.has(c.name)) issue(['channels', i, 'name'], `channel ${c.name} declared twice`);
      channels.add(c.name);
    });
    p.channels.forEach((c, i) => {
      if (c.backup === null) return;
      if (c.backup === c.name) issue(['channels', i, 'backup'], 'a channel cannot back up itself');
      else if (!channels.has(c.backup))
        issue(['channels', i, 'backup'], `backup ${c.backup} is not a declared channel`);
    });
    const tiers = p.clv?.tiers ?? [];
    tiers.forEach((t, i) => {
      const prev = tiers[i - 1];
      if (prev && !(t.min > prev.min))
        issue(['clv', 'tiers', i, 'min'], 'tier minimums must be strictly increasing');
      if (tiers.findIndex((x) => x.name === t.name) !== i)
        issue(['clv', 'tiers', i, 'name'], `tier ${t.name} declared twice`);
    });
    const ids = new Set<string>();
    p.actions.forEach((a, i) => {
      if (ids.has(a.id)) issue(['actions', i, 'id'], `action ${a.id} declared twice`);
      ids.add(a.id);
      a.channels.forEach((c, j) => {
        if (!channels.has(c))
          issue(['actions', i, 'channels', j], `channel ${c} is not declared in channels`);
      });
      a.clvTiers?.forEach((t, j) => {
        if (!tiers.some((x) => x.name === t))
          issue(['actions', i, 'clvTiers', j], `CLV tier ${t} is not declared in clv.tiers`);
      });
      a.scores.forEach((s, j) => {
        if (!Object.hasOwn(p.models, s.model))
          issue(['actions', i, 'scores', j, 'model'], `model ${s.model} is not declared in models`);
      });
    });
  });

export type DecisionPolicy = z.infer<typeof DecisionPolicySchema>;
export type DecisionPolicyInput = z.input<typeof DecisionPolicySchema>;
export type DecisionAction = z.infer<typeof ActionSchema>;
export type DndWindow = z.infer<typeof DndWindowSchema>;
export type ChannelRule = z.infer<typeof ChannelSchema>;
