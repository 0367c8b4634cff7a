/** Internal test helper: a small decision policy and facts that every rule test varies. */
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import type { CustomerFacts } from './decision.ts';
import { DecisionPolicySchema, type DecisionPolicyInput } from './policy-schema.ts';
import type { RateTable } from './response-rates.ts';

export const TEST_POLICY: DecisionPolicyInput = {
  version: 1,
  kind: 'decision_policy',
  name: 'test policy',
  timeZone: 'Europe/Berlin',
  clv: {
    tiers: [
      { name: 'low', min: 0 },
      { name: 'mid', min: 100 },
      { name: 'high', min: 500 },
    ],
  },
  models: { churn: { file: 'churn-model.json' } },
  channels: [
    { name: 'email', backup: 'app', maxTouchesPer7Days: 3 },
    { name: 'app', backup: 'sms', maxTouchesPer7Days: 2 },
    { name: 'sms', backup: null, maxTouchesPer7Days: 1 },
  ],
  actions: [
    { id: 'welcome', campaign: 'best-sellers', strategy: 'best_sellers', channels: ['email'] },
    { id: 'bundle', campaign: 'cross-sell', strategy: 'cross_sell', channels: ['email', 'app'] },
    {
      id: 'premium',
      campaign: 'premium-range',
      strategy: 'high_margin',
      clvTiers: ['high'],
      priority: 10,
      channels: ['email'],
    },
    { id: 'loyalty', campaign: 'loyalty', strategy: 'high_margin', channels: ['app'] },
    {
      id: 'save',
      campaign: 'win-back',
      strategy: 'win_back',
      scores: [{ model: 'churn', min: 0.5 }],
      channels: ['email', 'sms'],
    },
  ],
};

export function testPolicy(
  patch: Partial<DecisionPolicyInput> = {},
  rates: RateTable | null = null
): CompiledPolicy {
  return compilePolicy(DecisionPolicySchema.parse({ ...TEST_POLICY, ...patch }), { rates });
}

export function facts(patch: Partial<CustomerFacts> = {}): CustomerFacts {
  return {
    customerId: 'c-1',
    status: 'known',
    marketingConsent: true,
    stage: 'intro',
    clvValue: 50,
    scores: { churn: 0.2 },
    touches7d: {},
    ...patch,
  };
}

/** Wednesday 2025-06-11 10:00 UTC = 12:00 in Berlin (CEST): outside any night window. */
export const NOON = new Date('2025-06-11T10:00:00Z');
