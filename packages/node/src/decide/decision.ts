import type { Stage, Strategy } from './policy-schema.ts';

/**
 * What a decision reads about one customer and what it returns (docs/decide.md "Decisions").
 * Facts are the node's own data only; nothing here is sent anywhere.
 */

export interface CustomerFacts {
  customerId: string;
  /** `unknown`: no such customer; `erased`: only an erasure tombstone is left. */
  status: 'known' | 'unknown' | 'erased';
  /** Consent for `marketing` in force at the decision's moment. */
  marketingConsent: boolean;
  /** Lifecycle stage at the decision's moment (analytics/customer-fields.ts lifecycleStage). */
  stage: Stage | null;
  /** The policy's CLV field (clv_historical by default), null when the customer has none. */
  clvValue: number | null;
  /** Probability per policy model (null: the customer has no feature row to score). */
  scores: Readonly<Record<string, number | null>>;
  /** Touches per channel in the 7 days before the decision's moment (the fatigue window). */
  touches7d: Readonly<Record<string, number>>;
}

/** Rule codes, in the order a decision can fire them; the console counts them (rule mix). */
export const RULE_CODES = [
  'consent',
  'lifecycle',
  'clv_tier',
  'score',
  'action',
  'fatigue',
  'backup_channel',
  'channel',
  'response_rate',
  'dnd',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export interface FiredRule {
  rule: RuleCode;
  /** Human-readable: which value met which threshold. Never a customer attribute besides these facts. */
  detail: string;
}

export const NO_ACTION_REASONS = [
  'unknown_customer',
  'erased',
  'no_marketing_consent',
  'no_lifecycle_stage',
  'no_eligible_action',
  'all_channels_fatigued',
  'no_send_time',
] as const;
export type NoActionReason = (typeof NO_ACTION_REASONS)[number];

export interface Decision {
  customerId: string;
  action: { id: string; campaign: string; offer: string | null; strategy: Strategy } | null;
  channel: string | null;
  /** ISO 8601 UTC. */
  sendAt: string | null;
  /** The same moment as wall-clock time in the policy's time zone, `YYYY-MM-DD HH:MM`. */
  sendAtLocal: string | null;
  /** Why there is no action (null when there is one). */
  reason: NoActionReason | null;
  rules: FiredRule[];
}
