import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { NO_ACTION_REASONS, RULE_CODES, type CustomerFacts } from './decision.ts';
import { HOURS_PER_WEEK } from './response-rates.ts';
import { NOON, facts, testPolicy } from './_policy-testing.ts';

const rulesOf = (d: { rules: { rule: string }[] }) => d.rules.map((r) => r.rule);

describe('decide: consent and customer status', () => {
  const p = testPolicy();
  it('no marketing consent: no action, the consent rule says why', () => {
    const d = decide(p, facts({ marketingConsent: false }), NOON);
    expect(d).toMatchObject({ action: null, channel: null, sendAt: null });
    expect(d.reason).toBe('no_marketing_consent');
    expect(d.rules).toEqual([{ rule: 'consent', detail: 'no marketing consent in force' }]);
  });

  it('erased and unknown customers get no action and no rule', () => {
    expect(decide(p, facts({ status: 'erased' }), NOON)).toMatchObject({
      reason: 'erased',
      rules: [],
    });
    expect(decide(p, facts({ status: 'unknown' }), NOON)).toMatchObject({
      reason: 'unknown_customer',
      rules: [],
    });
  });

  it('no lifecycle stage: no action', () => {
    expect(decide(p, facts({ stage: null }), NOON).reason).toBe('no_lifecycle_stage');
  });
});

describe('decide: lifecycle strategy, CLV tier, scores, priority', () => {
  const p = testPolicy();
  it.each([
    ['intro', 'welcome', 'best_sellers'],
    ['growth', 'bundle', 'cross_sell'],
    ['mature', 'loyalty', 'high_margin'],
  ] as const)('%s picks %s (%s)', (stage, id, strategy) => {
    const d = decide(p, facts({ stage }), NOON);
    expect(d.action).toMatchObject({ id, strategy });
    expect(d.rules).toContainEqual({ rule: 'lifecycle', detail: `${stage} -> ${strategy}` });
  });

  it('a high CLV tier unlocks the higher-priority premium action', () => {
    const d = decide(p, facts({ stage: 'mature', clvValue: 612.4 }), NOON);
    expect(d.action?.id).toBe('premium');
    expect(d.rules).toContainEqual({ rule: 'clv_tier', detail: 'high (clv_historical 612.4)' });
    expect(d.rules).toContainEqual({
      rule: 'action',
      detail: 'premium (campaign premium-range, priority 10)',
    });
  });

  it('a customer without a CLV value fails a tier-restricted action', () => {
    const d = decide(p, facts({ stage: 'mature', clvValue: null }), NOON);
    expect(d.action?.id).toBe('loyalty');
    expect(d.rules).toContainEqual({ rule: 'clv_tier', detail: 'no clv_historical value' });
  });

  it('score thresholds: churn >= 0.5 for win-back, missing or low scores are not eligible', () => {
    const hi = decide(p, facts({ stage: 'decline', scores: { churn: 0.71 } }), NOON);
    expect(hi.action?.id).toBe('save');
    expect(hi.rules).toContainEqual({ rule: 'score', detail: 'churn 0.71 >= 0.5' });
    expect(decide(p, facts({ stage: 'decline', scores: { churn: 0.49 } }), NOON).reason).toBe(
      'no_eligible_action'
    );
    expect(decide(p, facts({ stage: 'decline', scores: { churn: null } }), NOON).reason).toBe(
      'no_eligible_action'
    );
  });

  it('strategies can be remapped and actions can name stages explicitly', () => {
    const q = testPolicy({
      strategies: {
        intro: 'cross_sell',
        growth: 'cross_sell',
        mature: 'high_margin',
        decline: 'win_back',
      },
    });
    expect(decide(q, facts({ stage: 'intro' }), NOON).action?.id).toBe('bundle');
  });
});

describe('decide: fatigue and backup channels', () => {
  const p = testPolicy();
  it('under the limit the preferred channel is kept', () => {
    const d = decide(p, facts({ touches7d: { email: 2 } }), NOON);
    expect(d.channel).toBe('email');
    expect(rulesOf(d)).not.toContain('fatigue');
  });

  it('at N touches in 7 days the channel switches to its backup, and says so', () => {
    const d = decide(p, facts({ touches7d: { email: 3 } }), NOON);
    expect(d.channel).toBe('app');
    expect(d.rules).toContainEqual({
      rule: 'fatigue',
      detail: 'email: 3 touches in 7 days, limit 3',
    });
    expect(d.rules).toContainEqual({ rule: 'backup_channel', detail: 'email -> app' });
  });

  it('follows the backup chain when the backup is fatigued too', () => {
    const d = decide(p, facts({ touches7d: { email: 5, app: 2 } }), NOON);
    expect(d.channel).toBe('sms');
    expect(d.rules).toContainEqual({ rule: 'backup_channel', detail: 'email -> sms' });
  });

  it('every channel fatigued: no action, reason all_channels_fatigued with the fatigue rules', () => {
    const d = decide(p, facts({ touches7d: { email: 3, app: 2, sms: 1 } }), NOON);
    expect(d.reason).toBe('all_channels_fatigued');
    expect(rulesOf(d).filter((r) => r === 'fatigue')).toHaveLength(3);
  });

  it('a fatigued top action gives way to the next eligible one', () => {
    const q = testPolicy({
      channels: [
        { name: 'email', backup: null, maxTouchesPer7Days: 1 },
        { name: 'app', backup: null, maxTouchesPer7Days: 3 },
        { name: 'sms', backup: null, maxTouchesPer7Days: 1 },
      ],
    });
    const d = decide(q, facts({ stage: 'mature', clvValue: 900, touches7d: { email: 1 } }), NOON);
    expect(d.action?.id).toBe('loyalty');
    expect(d.channel).toBe('app');
  });

  it('a backup cycle ends instead of looping', () => {
    const q = testPolicy({
      channels: [
        { name: 'email', backup: 'app', maxTouchesPer7Days: 1 },
        { name: 'app', backup: 'email', maxTouchesPer7Days: 1 },
        { name: 'sms', backup: null, maxTouchesPer7Days: 1 },
      ],
    });
    expect(decide(q, facts({ touches7d: { email: 1, app: 1 } }), NOON).reason).toBe(
      'all_channels_fatigued'
    );
  });
});

describe('decide: do-not-disturb and send time', () => {
  const dnd = testPolicy({ doNotDisturb: [{ from: '21:00', to: '08:00' }] });
  it('outside the window the send time is now', () => {
    const d = decide(dnd, facts(), NOON);
    expect(d.sendAt).toBe(NOON.toISOString());
    expect(d.sendAtLocal).toBe('2025-06-11 12:00');
    expect(rulesOf(d)).not.toContain('dnd');
  });

  it('inside an overnight window the send time is pushed to its end, local time', () => {
    // 20:10 UTC = 22:10 in Berlin (CEST, UTC+2): pushed to 08:00 Berlin = 06:00 UTC next day.
    const d = decide(dnd, facts(), new Date('2025-06-11T20:10:30Z'));
    expect(d.sendAt).toBe('2025-06-12T06:00:00.000Z');
    expect(d.sendAtLocal).toBe('2025-06-12 08:00');
    expect(d.rules).toContainEqual({
      rule: 'dnd',
      detail: 'do-not-disturb 21:00-08:00 (Europe/Berlin): send at 2025-06-12 08:00',
    });
  });

  it('the morning part of an overnight window belongs to the day before', () => {
    const sat = testPolicy({ doNotDisturb: [{ from: '21:00', to: '08:00', days: ['sat'] }] });
    // Sunday 2025-06-15 05:00 Berlin (03:00 UTC): in Saturday's window.
    expect(decide(sat, facts(), new Date('2025-06-15T03:00:00Z')).sendAtLocal).toBe(
      '2025-06-15 08:00'
    );
    // Monday 05:00 Berlin: Sunday has no window.
    expect(decide(sat, facts(), new Date('2025-06-16T03:00:00Z')).sendAtLocal).toBe(
      '2025-06-16 05:00'
    );
  });

  it('uses the zone offset of the date (winter time, UTC+1)', () => {
    const d = decide(dnd, facts(), new Date('2025-01-15T21:00:00Z')); // 22:00 CET
    expect(d.sendAt).toBe('2025-01-16T07:00:00.000Z');
  });

  it('adjacent windows push past both', () => {
    const two = testPolicy({
      doNotDisturb: [
        { from: '12:00', to: '13:00' },
        { from: '13:00', to: '14:30' },
      ],
    });
    expect(decide(two, facts(), NOON).sendAtLocal).toBe('2025-06-11 14:30');
  });
});

describe('decide: published response rates pick the channel and hour', () => {
  const flat = (x: number) => new Float64Array(HOURS_PER_WEEK).fill(x);
  // NOON is Wednesday 10:00 UTC: hour of week 2 * 24 + 10 = 58.
  const rates = new Map([
    ['email', flat(0.02)],
    ['app', flat(0.05)],
  ]);
  (rates.get('email') as Float64Array)[58 + 6] = 0.09; // Wednesday 16:00 UTC
  it('the channel with the best rate wins among the action channels', () => {
    const p = testPolicy(
      {},
      new Map([
        ['email', flat(0.02)],
        ['app', flat(0.05)],
      ])
    );
    const d = decide(p, facts({ stage: 'growth' }), NOON);
    expect(d.channel).toBe('app');
    expect(d.rules).toContainEqual({ rule: 'response_rate', detail: 'app 0.05 at Wed 10:00 UTC' });
  });

  it('the best hour within sendWithinHours is chosen, even over a better channel now', () => {
    const p = testPolicy({}, rates);
    const d = decide(p, facts({ stage: 'growth' }), NOON);
    expect(d.channel).toBe('email');
    expect(d.sendAt).toBe('2025-06-11T16:00:00.000Z');
    const near = testPolicy({ sendWithinHours: 4 }, rates);
    expect(decide(near, facts({ stage: 'growth' }), NOON).channel).toBe('app');
  });

  it('an hour inside do-not-disturb is not chosen, whatever its rate', () => {
    const p = testPolicy({ doNotDisturb: [{ from: '17:00', to: '19:00' }] }, rates);
    const d = decide(p, facts({ stage: 'growth' }), NOON); // 16:00 UTC = 18:00 Berlin: pushed to 17:00 UTC, a 0.02 hour
    expect(d.channel).toBe('app');
  });
});

describe('decide: properties', () => {
  const p = testPolicy({ doNotDisturb: [{ from: '21:00', to: '08:00' }] });
  const arbFacts: fc.Arbitrary<CustomerFacts> = fc.record({
    customerId: fc.constant('c'),
    status: fc.constantFrom('known', 'known', 'known', 'unknown', 'erased'),
    marketingConsent: fc.boolean(),
    stage: fc.constantFrom('intro', 'growth', 'mature', 'decline', null),
    clvValue: fc.option(fc.double({ min: -10, max: 2000, noNaN: true })),
    scores: fc.record({ churn: fc.option(fc.double({ min: 0, max: 1, noNaN: true })) }),
    touches7d: fc.record({
      email: fc.nat(5),
      app: fc.nat(5),
      sms: fc.nat(5),
    }),
  });
  const arbNow = fc.date({
    min: new Date('2024-01-01'),
    max: new Date('2026-12-31'),
    noInvalidDate: true,
  });

  it('an action always has a channel under its limit, a send time at or after now outside DND, and fired rules', () => {
    fc.assert(
      fc.property(arbFacts, arbNow, (f, now) => {
        const d = decide(p, f, now);
        expect(d.rules.every((r) => (RULE_CODES as readonly string[]).includes(r.rule))).toBe(true);
        if (d.action === null) {
          expect(NO_ACTION_REASONS).toContain(d.reason);
          expect(d.channel).toBeNull();
          return;
        }
        expect(d.reason).toBeNull();
        expect(f.status).toBe('known');
        expect(f.marketingConsent).toBe(true);
        const ch = p.channels.get(d.channel as string);
        expect((f.touches7d[d.channel as string] ?? 0) < (ch?.maxTouchesPer7Days ?? 0)).toBe(true);
        const at = Date.parse(d.sendAt as string);
        expect(at).toBeGreaterThanOrEqual(now.getTime());
        const local = p.clock.at(at).minute;
        expect(local >= 8 * 60 && local < 21 * 60).toBe(true);
        expect(rulesOf(d)).toEqual(
          expect.arrayContaining(['consent', 'lifecycle', 'action', 'channel'])
        );
      })
    );
  });

  it('is deterministic: the same facts and moment give the same decision', () => {
    fc.assert(
      fc.property(arbFacts, arbNow, (f, now) => {
        expect(decide(p, f, now)).toEqual(decide(testPolicy(p.policy), f, now));
      }),
      { numRuns: 50 }
    );
  });
});
