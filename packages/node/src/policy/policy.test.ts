import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { PolicySchema, pureSpend } from '@fedmark/protocol';
import { protocolErrorOf as errorOf } from '../_testing/protocol-error.ts';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { listLedger } from '../ledger/index.ts';
import { defaultPolicy, evaluateRound, loadPolicy, policyHash, savePolicy } from './index.ts';

let dir: string;
let db: Database.Database;
useTempDatabase('fedmark-policy-', (t) => ({ dir, db } = t));

const write = (text: string): void => writeFileSync(join(dir, 'policy.json'), text);

describe('loadPolicy', () => {
  it('reads the default policy with k = 10 and noise-off refused', () => {
    write(JSON.stringify(defaultPolicy()));
    const p = loadPolicy(dir);
    expect(p.minCohort).toBe(10);
    expect(p.testOnlyAllowNoiseOff).toBe(false);
    expect(p).toEqual(PolicySchema.parse({}));
  });

  it('names the field, the line and column, or the missing file', () => {
    expect(errorOf(() => loadPolicy(dir)).code).toBe('NOT_FOUND');
    write('{\n  "minCohort": 10,\n  oops\n}');
    const bad = errorOf(() => loadPolicy(dir));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/policy\.json: not valid JSON at line 3, column 3/);
    write(JSON.stringify({ minCohort: 1 }));
    expect(errorOf(() => loadPolicy(dir)).message).toMatch(/policy\.json: field "minCohort": /);
    write(JSON.stringify({ budgets: [{ purpose: 'analytics', period: 'month', epsilon: -1 }] }));
    expect(errorOf(() => loadPolicy(dir)).message).toMatch(
      /field "budgets\[0\]\.epsilon": epsilon must be positive/
    );
    write(JSON.stringify({ minCohorts: 50 }));
    expect(errorOf(() => loadPolicy(dir)).message).toMatch(/unknown field "minCohorts"/);
    write(
      JSON.stringify({
        budgets: [{ purpose: 'analytics', period: 'month', epsilon: 1, epsilonn: 2 }],
      })
    );
    expect(errorOf(() => loadPolicy(dir)).message).toMatch(
      /unknown field "budgets\[0\]\.epsilonn"/
    );
  });
});

describe('savePolicy', () => {
  it('writes atomically and records a policy_change entry with the hash and changed fields', () => {
    write(`${JSON.stringify(defaultPolicy())}\n`);
    const next = { ...defaultPolicy(), minCohort: 20 };
    const res = savePolicy(dir, db, next, {
      reason: 'DPO request',
      at: new Date('2026-11-22T10:00:00Z'),
    });
    expect(res.changed).toEqual([{ field: 'minCohort', from: 10, to: 20 }]);
    expect(loadPolicy(dir).minCohort).toBe(20);
    const [entry] = listLedger(db, { type: 'policy_change' });
    expect(entry?.body).toEqual({
      policyHash: policyHash(next),
      previousHash: policyHash(defaultPolicy()),
      changed: [{ field: 'minCohort', from: 10, to: 20 }],
      reason: 'DPO request',
    });
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes nothing when nothing changed, and nothing at all for an invalid policy', () => {
    write(JSON.stringify(defaultPolicy()));
    expect(savePolicy(dir, db, defaultPolicy()).entry).toBeNull();
    const before = readFileSync(join(dir, 'policy.json'), 'utf8');
    expect(errorOf(() => savePolicy(dir, db, { ...defaultPolicy(), minNodes: 2 })).message).toMatch(
      /field "minNodes"/
    );
    expect(readFileSync(join(dir, 'policy.json'), 'utf8')).toBe(before);
    expect(listLedger(db, { type: 'policy_change' })).toHaveLength(0);
  });

  it('repairs a broken policy file and says so in the ledger', () => {
    write('{ "minCohort": ');
    const res = savePolicy(dir, db, defaultPolicy(), { reason: 'repair' });
    expect(res.entry?.body).toMatchObject({ previousHash: null, previousInvalid: true });
    expect(loadPolicy(dir)).toEqual(defaultPolicy());
  });

  it('records the first policy of a node (no previous file)', () => {
    const res = savePolicy(dir, db, { minCohort: 15 });
    expect(res.entry?.body['previousHash']).toBeNull();
    expect(res.changed.map((c) => c.field)).toContain('minCohort');
    expect(loadPolicy(dir).minCohort).toBe(15);
  });
});

describe('evaluateRound', () => {
  const base = {
    kind: 'segment_stats' as const,
    purpose: 'analytics' as const,
    spend: pureSpend(500_000),
    mechanism: 'local-laplace' as const,
    minNodes: 3,
    noise: 'on' as const,
  };
  const policy = defaultPolicy();

  it('accepts a round within the policy', () => {
    expect(evaluateRound(policy, base)).toEqual({ ok: true });
    expect(evaluateRound(policy, { ...base, minNodes: undefined })).toEqual({ ok: true });
  });

  it('refuses with a reason naming the rule', () => {
    const narrow = PolicySchema.parse({
      allowedKinds: ['segment_stats'],
      allowedPurposes: ['analytics'],
    });
    expect(evaluateRound(narrow, { ...base, kind: 'train' })).toEqual({
      ok: false,
      reason:
        'job kind "train" is not allowed by this node\'s policy (allowedKinds: segment_stats)',
    });
    expect(evaluateRound(narrow, { ...base, purpose: 'marketing' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/purpose "marketing" is not allowed/),
    });
    expect(evaluateRound(policy, { ...base, spend: pureSpend(2_500_000) })).toEqual({
      ok: false,
      reason: 'round asks epsilon 2.5; this node allows at most 2 per job (maxEpsilonPerJob)',
    });
    expect(
      evaluateRound(policy, { ...base, spend: pureSpend(600_000), jobSpent: pureSpend(1_500_000) })
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/on top of 1.5 already spent by this job/),
    });
    expect(evaluateRound(policy, { ...base, minNodes: 2 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/needs at least 3 \(minNodes\)/),
    });
    expect(evaluateRound(policy, { ...base, spend: pureSpend(0) })).toMatchObject({ ok: false });
  });

  it('refuses noise off unless the policy has the test-only switch', () => {
    expect(evaluateRound(policy, { ...base, noise: 'off-test-only' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/testOnlyAllowNoiseOff/),
    });
    const testing = PolicySchema.parse({ testOnlyAllowNoiseOff: true });
    expect(evaluateRound(testing, { ...base, noise: 'off-test-only' })).toEqual({ ok: true });
  });
});
