import { describe, expect, it } from 'vitest';
import {
  RoundJobSpecSchema,
  clvJobEpsilonMicro,
  layoutOf,
  trainEpsilonPlan,
} from '@fedmark/protocol';
import { clvRoundPlan } from './clv-rounds.ts';
import { SYNTHETIC_CAMPAIGNS, TEMPLATE_NAMES, checkedTemplate } from './templates.ts';
import { checkCapacity } from './create.ts';
import { roundCount, roundQuery } from './round-queries.ts';

describe('job templates', () => {
  const STATISTICS = TEMPLATE_NAMES.filter((n) => n !== 'train' && n !== 'clv');

  it.each(STATISTICS)(
    '%s parses, has valid round layouts and fits the plaintext range: 64 nodes of 10^7 rows under t60, 3 under t40',
    (name) => {
      const spec = RoundJobSpecSchema.parse(checkedTemplate(name, '2026-01-31'));
      if (!('query' in spec)) throw new Error(`template ${name} is not a statistics job`);
      expect(spec.minNodes).toBe(3);
      expect(spec.query.asOf).toBe('2026-01-31');
      for (let r = 0; r < roundCount(spec); r++) {
        const q = roundQuery(spec, r);
        const layout = layoutOf(q);
        expect(layout.length).toBeGreaterThan(0);
        expect(() => checkCapacity(layout, q, 64, 'bfv-8192-t60', 10_000_000, r)).not.toThrow();
        expect(() => checkCapacity(layout, q, 3, 'bfv-8192-t40', 10_000_000, r)).not.toThrow();
      }
    }
  );

  it('train parses as a model_training job whose epsilon plan spends exactly its total', () => {
    const spec = RoundJobSpecSchema.parse(checkedTemplate('train'));
    if (spec.kind !== 'train') throw new Error('the train template must be a train job');
    expect(spec.train.purpose).toBe('model_training');
    expect(spec.minNodes).toBeGreaterThanOrEqual(spec.train.minNodes);
    const plan = trainEpsilonPlan(spec.train);
    expect(plan.totalMicro).toBe(1_000_000);
    expect(plan.standardisationMicro + plan.perRoundMicro * spec.train.rounds).toBe(
      plan.totalMicro
    );
  });

  it('ab-test: the synthetic campaigns x variant x lifecycle stage, 7/10 of epsilon on the conversions', () => {
    const spec = RoundJobSpecSchema.parse(checkedTemplate('ab-test', '2026-01-31'));
    if (!('query' in spec)) throw new Error('ab-test is not a train job');
    const q = roundQuery(spec, 0);
    expect(q.dimensions.map((d) => [d.field, 'categories' in d ? d.categories : null])).toEqual([
      ['campaign', [...SYNTHETIC_CAMPAIGNS]],
      ['variant', ['A', 'B']],
      ['lifecycle_stage', ['intro', 'growth', 'mature', 'decline']],
    ]);
    expect([q.unit, q.maxRowsPerCustomer, q.purpose]).toEqual(['assignment', 3, 'analytics']);
    // Every block's sensitivity is the row bound 3 (0/1 measures at scale 1).
    expect(layoutOf(q).blocks.map((b) => [b.name, b.sensitivity, b.epsilonMicro])).toEqual([
      ['count', 3n, 100_000],
      ['total', 3n, 100_000],
      ['sum:clicked', 3n, 100_000],
      ['sum:converted', 3n, 700_000],
    ]);
  });

  it('clv: calibration to the as-of day, epsilon 1 over 6 + 6 rounds, round 0 within t60 for 64 nodes of 10^7 customers', () => {
    const spec = RoundJobSpecSchema.parse(checkedTemplate('clv', '2026-01-31'));
    if (spec.kind !== 'clv') throw new Error('the clv template must be a clv job');
    expect([spec.clv.calibrationEnd, spec.clv.daysPerUnit, spec.mechanism]).toEqual([
      '2026-01-31',
      7,
      'distributed-gaussian',
    ]);
    expect(roundCount(spec)).toBe(12);
    // Flooring leaves less than one micro-epsilon a round unspent, never more than the total.
    const spent = clvJobEpsilonMicro(spec.clv);
    expect(spent).toBeLessThanOrEqual(1_000_000);
    expect(spent).toBeGreaterThan(1_000_000 - 12);
    const capacity = { nodes: 64, heParams: 'bfv-8192-t60' as const, maxRowsPerNode: 10_000_000 };
    expect(clvRoundPlan(spec, 0, null, capacity).layout.length).toBe(16);
    // Under the 40-bit t the fixed point of 2^24 units per clip holds about 3 x 10^4 customers.
    expect(() =>
      clvRoundPlan(spec, 0, null, { ...capacity, nodes: 3, heParams: 'bfv-8192-t40' })
    ).toThrow(/beyond the plaintext range/);
  });

  it('train: the columns of the churn.csv that fedmark node synth writes', () => {
    const spec = RoundJobSpecSchema.parse(checkedTemplate('train'));
    if (spec.kind !== 'train') throw new Error('the train template must be a train job');
    expect([spec.train.table, spec.train.label]).toEqual([
      'churn',
      { column: 'churn', positive: 'Yes' },
    ]);
    expect(spec.train.features.map((f) => f.column)).toEqual([
      'tenure_days',
      'purchases',
      'recency_days',
      'avg_order_value',
      'visits_90d',
      'primary_channel',
    ]);
  });

  it('refuses a layout whose aggregate could wrap around t (here the 40-bit t), naming the block', () => {
    const spec = RoundJobSpecSchema.parse(checkedTemplate('lifecycle', '2026-01-31'));
    if (!('query' in spec)) throw new Error('lifecycle is not a statistics job');
    const q = roundQuery(spec, 0);
    expect(() => checkCapacity(layoutOf(q), q, 6, 'bfv-8192-t40', 10_000_000, 0)).toThrow(
      "round 0 block sum:monetary: 6 nodes x 10000000 rows could reach 600010800012, beyond the plaintext range ±549755740160; lower the clipping bounds or the fixed-point scale, or start the coordinator with a --max-rows-per-node that matches the nodes' data"
    );
  });
});
