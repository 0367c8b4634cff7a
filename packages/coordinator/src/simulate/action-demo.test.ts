import { describe, expect, it } from 'vitest';
import type { JobResult, RoundResult } from '@fedmark/protocol';
import {
  actionReport,
  demoDecisionPolicy,
  responseRatesOf,
  type ActionDemo,
} from './action-demo.ts';

const result = (
  name: string,
  dimensions: string[],
  measures: string[],
  status: JobResult['status'] = 'published'
): JobResult => ({
  version: 1,
  jobId: `j-${name}`,
  name,
  kind: 'segment_stats',
  status,
  rounds: [{ interpretation: { dimensions, measures, cells: [] } } as unknown as RoundResult],
});

describe("the demo's next-best-action step", () => {
  it('reads the response rates from the last published channel x hour_of_week job with "responded"', () => {
    const rates = result('rates', ['channel', 'hour_of_week'], ['responded']);
    expect(
      responseRatesOf([
        result('lifecycle', ['lifecycle_stage'], ['monetary']),
        rates,
        result('no measure', ['channel', 'hour_of_week'], []),
        result('failed', ['channel', 'hour_of_week'], ['responded'], 'failed'),
      ])
    ).toBe(rates);
    expect(responseRatesOf([result('by channel', ['channel'], ['responded'])])).toBeUndefined();
  });

  it('uses the model and the rates only when the run has them', () => {
    const full = demoDecisionPolicy({ modelFile: '/m.json', ratesFile: '/r.json' }) as Record<
      string,
      unknown
    >;
    expect(full['models']).toEqual({ churn: { file: '/m.json', table: 'churn' } });
    expect(full['responseRates']).toEqual({ file: '/r.json' });
    const bare = demoDecisionPolicy({}) as { actions: { scores?: unknown[] }[] };
    expect(Object.keys(bare)).not.toContain('models');
    expect(Object.keys(bare)).not.toContain('responseRates');
    // Without a model no action may name one, or the policy file would be refused.
    expect(bare.actions.every((a) => (a.scores ?? []).length === 0)).toBe(true);
  });

  it("prints the rule mix, one customer's rules and the audience with its ledger entry", () => {
    const a: ActionDemo = {
      node: 'retail-a',
      at: '2026-01-01T10:00:00Z',
      policyFile: '/w/policy.json',
      usesModel: true,
      usesResponseRates: false,
      decisions: {
        out: '/d.csv',
        decisions: 10,
        withAction: 7,
        rules: { consent: 10 },
        reasons: { no_marketing_consent: 3 },
        actions: { 'win-back': 2, 'cross-sell-bundle': 5 },
        channels: { email: 7 },
      },
      example: {
        customerId: 'rt1',
        action: { id: 'win-back', campaign: 'we-miss-you' },
        channel: 'email',
        sendAtLocal: '2026-01-01 11:00',
        reason: null,
        rules: [{ rule: 'score', detail: 'churn 0.9 >= 0.3' }],
      },
      audience: { out: '/a.csv', name: 'drifting', count: 4, seq: 12 },
    };
    const text = actionReport(a);
    expect(text).toContain('10 customers, 7 with an action');
    expect(text).toContain('actions:   cross-sell-bundle 5, win-back 2');
    expect(text).toContain('the joint churn model');
    expect(text).not.toContain('response rates');
    expect(text).toContain(
      'rt1: win-back (campaign we-miss-you) on email at 2026-01-01 11:00 local'
    );
    expect(text).toMatch(/ {5}score {11}churn 0\.9 >= 0\.3/);
    expect(text).toContain(
      "4 customers with marketing consent\n   recorded in retail-a's ledger (entry 12"
    );
  });
});
