import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import {
  PolicySchema,
  layoutOf,
  roundSpend,
  spendEpsilonMicro,
  zcdpEpsilon,
  type Policy,
  type RoundNoise,
} from '@fedmark/protocol';
import { regionQuery } from '../_testing/region-release.ts';
import { protocolErrorOf as errorOf } from '../_testing/protocol-error.ts';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { memoryUnitSource } from '../analytics/index.ts';
import { complianceReport } from '../audit/compliance.ts';
import { listLedger } from '../ledger/index.ts';
import { budgetStatus } from '../privacy/budget.ts';
import { discreteLaplaceVariance } from '../privacy/discrete-laplace.ts';
import { releaseSegmentStats, releaseVector } from './index.ts';

/**
 * The release path under distributed noise (docs/privacy.md "Distributed noise"): a share is
 * released only into secure aggregation and only when sized for no more shares than the round's
 * threshold; Laplace shares are charged in pure epsilon, Gaussian ones in rho, read at the
 * policy's delta against every cap.
 */

const AT = new Date('2026-11-22T10:00:00Z');
const identity = { name: 'node-a', pepper: new Uint8Array(32).fill(3) };
let db: Database.Database;
useTempDatabase('fedmark-distributed-', (t) => ({ db } = t));

const source = () =>
  memoryUnitSource({
    customers: Array.from({ length: 30 }, (_, i) => ({
      customerId: `C${i}`,
      signupDay: 20_000,
      attributes: { region: i % 2 ? 'north' : 'south' },
    })),
    events: [],
    asOf: '2026-11-01',
  });

const policyOf = (o: Record<string, unknown> = {}): Policy =>
  PolicySchema.parse({
    budgets: [{ purpose: 'analytics', period: 'month', epsilon: 10 }],
    maxEpsilonPerJob: 2,
    ...o,
  });

const laplaceShares = (contributors: number): RoundNoise => ({
  mechanism: 'distributed-laplace',
  contributors,
});
const gaussian = (unitEpsilon: number, contributors = 3): RoundNoise => ({
  mechanism: 'distributed-gaussian',
  delta: 1e-7,
  unitEpsilonMicro: unitEpsilon * 1e6,
  contributors,
});

function release(
  policy: Policy,
  roundNoise: RoundNoise,
  o: { jobId?: string; round?: number; epsilon?: number; threshold?: number | null } = {}
) {
  const threshold = o.threshold === undefined ? 3 : o.threshold;
  return releaseSegmentStats(
    { db, identity, policy },
    {
      query: regionQuery(o.epsilon ?? 1),
      source: source(),
      jobId: o.jobId ?? 'job-1',
      round: o.round ?? 0,
      roundNoise,
      ...(threshold === null ? {} : { secureAggregation: { threshold } }),
      at: AT,
    }
  );
}

describe('distributed shares and secure aggregation', () => {
  it('refuses to release a share outside secure aggregation, before reading data or charging', () => {
    for (const noise of [laplaceShares(3), gaussian(1)]) {
      const err = errorOf(() => release(policyOf(), noise, { threshold: null }));
      expect(err.code).toBe('POLICY_REFUSED');
      expect(err.message).toMatch(/released only into secure aggregation/);
    }
    expect(budgetStatus(db, policyOf(), 'analytics', AT)[0]?.spentMicro).toBe(0);
    expect(listLedger(db, { type: 'release' })).toHaveLength(0);
    expect(listLedger(db, { type: 'job_refused' })).toHaveLength(2);
  });

  it('refuses shares sized for more contributors than the round is sure to sum', () => {
    // Sized for 5 shares, but the coordinator could unmask a sum of 3: 3/5 of the noise.
    const err = errorOf(() => release(policyOf(), laplaceShares(5), { threshold: 3 }));
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toMatch(/sized for 5 contributors.*only 3/);
  });

  it('a Laplace share carries 1/T of the central variance, is charged in pure epsilon, and is ledgered', () => {
    const r = release(policyOf(), laplaceShares(3));
    const count = layoutOf(regionQuery(1)).blocks[0];
    const central = discreteLaplaceVariance(1_000_000n, BigInt(count?.epsilonMicro ?? 0));
    expect(r.variance[0]).toBeCloseTo(central / 3, 10);
    const [status] = budgetStatus(db, policyOf(), 'analytics', AT);
    expect(status?.spend).toEqual({
      pureMicro: 1_000_000,
      pureRhoPico: 500_000_000_000n,
      gaussianRhoPico: 0n,
    });
    const body = listLedger(db, { type: 'release' })[0]?.body;
    expect(body).toMatchObject({ mechanism: 'distributed-laplace', shareContributors: 3 });
    const scales = (body?.['noiseScales'] ?? []) as { shares?: number }[];
    expect(scales[0]?.shares).toBe(3);
  });

  it('a Gaussian share is charged in rho and read at the policy delta', () => {
    release(policyOf(), gaussian(1));
    const [status] = budgetStatus(db, policyOf(), 'analytics', AT);
    const spend = roundSpend(gaussian(1), 1_000_000);
    expect(status?.spend.gaussianRhoPico).toBe(spend.gaussianRhoPico);
    expect(status?.spend.pureMicro).toBe(0);
    // rho of (1, 1e-7), read back at the same delta: 1, never more.
    expect(status?.spentMicro).toBeLessThanOrEqual(1_000_000);
    expect(status?.spentMicro).toBeGreaterThan(999_000);
    expect(status?.spentRhoPico).toBe(spend.gaussianRhoPico);
    const body = listLedger(db, { type: 'release' })[0]?.body;
    expect(body).toMatchObject({
      mechanism: 'distributed-gaussian',
      rhoPico: spend.gaussianRhoPico.toString(),
      delta: 1e-7,
    });
  });
});

describe('budgets under rho', () => {
  it('composes Gaussian releases in rho: a cap of 2 holds more (1, 1e-7) releases than pure epsilon would, then refuses', () => {
    const policy = policyOf({
      budgets: [{ purpose: 'analytics', period: 'month', epsilon: 2 }],
      personBudgets: [],
      maxEpsilonPerJob: 2,
    });
    const one = roundSpend(gaussian(1), 1_000_000).gaussianRhoPico;
    // How many fit, by the accountant itself: k releases of rho each read at delta 1e-7.
    let fits = 0;
    while (zcdpEpsilon((Number(one) * (fits + 1)) / 1e12, 1e-7) <= 2) fits++;
    expect(fits).toBeGreaterThanOrEqual(3); // pure composition would stop at 2
    for (let i = 0; i < fits; i++) release(policy, gaussian(1), { jobId: `g-${i}` });
    // The auditor's recomputation from the ledger (rhoPico of each release) reads the same.
    const audited = complianceReport(db, policy, AT).purposes.find(
      (p) => p.purpose === 'analytics'
    );
    expect(audited?.periods[0]?.spentEpsilon).toBe(
      (budgetStatus(db, policy, 'analytics', AT)[0]?.spentMicro ?? -1) / 1e6
    );
    expect(audited?.periods[0]?.overCap).toBe(false);
    const err = errorOf(() => release(policy, gaussian(1), { jobId: 'g-over' }));
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.message).toMatch(
      /analytics budget for 2026-11 has .* left; this query needs .* \(at delta 1e-7\)/
    );
  });

  it('a job at exactly maxEpsilonPerJob in ten Gaussian rounds passes every round, and an eleventh is refused', () => {
    const policy = policyOf({ maxEpsilonPerJob: 2 });
    const layout = {
      length: 1,
      hash: 'h'.repeat(64),
      blocks: [{ name: 'g', offset: 0, length: 1, sensitivity: 1n, epsilonMicro: 200_000 }],
    };
    const noise = gaussian(2);
    const round = (r: number) =>
      releaseVector(
        { db, identity, policy },
        {
          kind: 'train',
          purpose: 'analytics',
          jobId: 'train-job',
          round: r,
          layout,
          compute: () => ({ values: [0n], rows: 0, suppressedCells: 0 }),
          roundNoise: noise,
          secureAggregation: { threshold: 3 },
          at: AT,
        }
      );
    for (let r = 0; r < 10; r++) round(r);
    const spent = budgetStatus(db, policy, 'analytics', AT)[0]?.spend;
    expect(spent && spendEpsilonMicro(spent, 1e-7)).toBeLessThanOrEqual(2_000_000);
    const err = errorOf(() => round(10));
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toMatch(/maxEpsilonPerJob/);
  });

  it('a policy that does not allow a mechanism refuses it by name', () => {
    const policy = policyOf({ allowedMechanisms: ['local-laplace', 'distributed-laplace'] });
    const err = errorOf(() => release(policy, gaussian(1)));
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toBe(
      `noise mechanism "distributed-gaussian" is not allowed by this node's policy (allowedMechanisms: local-laplace, distributed-laplace)`
    );
  });
});
