import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '@fedmark/protocol';
import { loadDecisionPolicy, parseDecisionPolicy } from './policy-file.ts';
import { TEST_POLICY } from './_policy-testing.ts';
import { channelHourResult } from './_rates-testing.ts';
import { hoursOfLabel, rateTableFromResult } from './response-rates.ts';

const root = mkdtempSync(join(tmpdir(), 'decide-policy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bad = (patch: Record<string, unknown>): string => {
  try {
    parseDecisionPolicy({ ...TEST_POLICY, ...patch }, 'p.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('BAD_REQUEST');
    return (err as Error).message;
  }
  throw new Error('expected the policy to be refused');
};

describe('decision policy file: errors name the field', () => {
  it('accepts the test policy with defaults filled in', () => {
    const p = parseDecisionPolicy(TEST_POLICY);
    expect(p.sendWithinHours).toBe(24);
    expect(p.strategies.decline).toBe('win_back');
    expect(p.channels[2]).toEqual({ name: 'sms', backup: null, maxTouchesPer7Days: 1 });
  });

  it.each([
    [{ timeZone: 'Mars/Olympus' }, 'p.json: field "timeZone": expected an IANA time zone'],
    [{ doNotDisturb: [{ from: '25:00', to: '08:00' }] }, 'field "doNotDisturb[0].from"'],
    [
      { channels: [{ name: 'email', backup: 'fax' }] },
      'field "channels[0].backup": backup fax is not a declared channel',
    ],
    [
      { channels: [{ name: 'email', maxTouchesPer7day: 3 }] },
      'field "channels[0]": Unrecognized key: "maxTouchesPer7day"',
    ],
    [
      {
        actions: [{ id: 'a', campaign: 'c', strategy: 'win_back', channels: ['email', 'fax'] }],
      },
      'field "actions[0].channels[1]": channel fax is not declared in channels',
    ],
    [
      {
        actions: [
          {
            id: 'a',
            campaign: 'c',
            strategy: 'win_back',
            channels: ['email'],
            scores: [{ model: 'ltv', min: 0.2 }],
          },
        ],
      },
      'field "actions[0].scores[0].model": model ltv is not declared in models',
    ],
    [
      {
        clv: {
          tiers: [
            { name: 'a', min: 10 },
            { name: 'b', min: 5 },
          ],
        },
      },
      'field "clv.tiers[1].min": tier minimums must be strictly increasing',
    ],
    [{ kind: 'policy' }, 'field "kind"'],
  ])('%j is refused: %s', (patch, message) => {
    expect(bad(patch)).toContain(message);
  });
});

describe('published response rates', () => {
  it('reads hour labels as categories and bins', () => {
    expect(hoursOfLabel('42')).toEqual([42]);
    expect(hoursOfLabel('[24,27)')).toEqual([24, 25, 26]);
    expect(hoursOfLabel('<2')).toEqual([0, 1]);
    expect(hoursOfLabel('>=166')).toEqual([166, 167]);
    expect(hoursOfLabel('__missing__')).toEqual([]);
  });

  it('skips unreliable means and fills hours without a figure with the channel mean', () => {
    const t = rateTableFromResult(
      channelHourResult([
        { channel: 'email', hour: '0', rate: 0.1 },
        { channel: 'email', hour: '1', rate: 0.3 },
        { channel: 'email', hour: '2', rate: 0.9, unreliable: true },
        { channel: '__other__', hour: '0', rate: 0.5 },
      ])
    );
    const email = t.get('email') as Float64Array;
    expect([email[0], email[1], email[2], email[100]]).toEqual([0.1, 0.3, 0.2, 0.2]);
    expect([...t.keys()]).toEqual(['email']);
  });

  it('refuses a result without the channel and hour_of_week dimensions', () => {
    const r = channelHourResult([{ channel: 'email', hour: '0', rate: 0.1 }]) as {
      rounds: { interpretation: unknown }[];
    };
    (r.rounds[0] as { interpretation: unknown }).interpretation = { dimensions: ['channel'] };
    expect(() => rateTableFromResult(r, { source: 'r.json' })).toThrow(
      'r.json: round 0 has dimensions ["channel"]; expected channel and hour_of_week'
    );
    expect(() => rateTableFromResult({ hello: 1 }, { source: 'x.json' })).toThrow(
      'x.json: not a published result'
    );
  });

  it('loadDecisionPolicy reads the rates file relative to the policy file', () => {
    writeFileSync(
      join(root, 'rates.json'),
      JSON.stringify(channelHourResult([{ channel: 'app', hour: '5', rate: 0.2 }]))
    );
    writeFileSync(
      join(root, 'policy.json'),
      JSON.stringify({
        ...TEST_POLICY,
        models: {},
        actions: [TEST_POLICY.actions[0]],
        responseRates: { file: 'rates.json' },
      })
    );
    const loaded = loadDecisionPolicy(join(root, 'policy.json'));
    expect(loaded.compiled.rates?.get('app')?.[5]).toBe(0.2);
    expect(loaded.compiled.hash).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(
      join(root, 'missing-model.json'),
      JSON.stringify({ ...TEST_POLICY, models: { churn: { file: 'nope.json' } } })
    );
    expect(() => loadDecisionPolicy(join(root, 'missing-model.json'))).toThrow(
      /models\.churn\.file .*nope\.json: cannot read \(ENOENT\)/
    );
  });
});

describe('docs/examples/decision-policy.json', () => {
  it('loads with its model and published rates (docs/decide.md "Policy file")', () => {
    const file = join(
      import.meta.dirname,
      '..',
      '..',
      '..',
      '..',
      'docs',
      'examples',
      'decision-policy.json'
    );
    const loaded = loadDecisionPolicy(file);
    expect(loaded.compiled.policy.name).toBe('retail next-best-action (example)');
    expect([...(loaded.compiled.rates?.keys() ?? [])]).toEqual(['email', 'sms', 'app']);
    expect(loaded.models.get('churn')?.encoding.map((f) => f.column)).toEqual([
      'recency_days',
      'visits_90d',
      'purchases',
    ]);
  });
});
