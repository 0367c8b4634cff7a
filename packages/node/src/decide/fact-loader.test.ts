import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempNode, type TempNode } from '../_testing/temp-node.ts';
import { listDecisionRuns } from './decision-log.ts';
import { createFactLoader } from './fact-loader.ts';
import { loadDecisionPolicy } from './policy-file.ts';
import { decideBatch, decideCustomers } from './run.ts';
import { writeLinesAtomically } from './decisions-file.ts';
import { CUSTOMERS as C, NOON, seedDecisionNode } from './_node-testing.ts';

let t: TempNode;
let policyFile: string;
useTempNode('decide-facts-', 'n', (x) => {
  t = x;
});

const setup = async () => {
  ({ policyFile } = await seedDecisionNode(t));
  const loaded = loadDecisionPolicy(policyFile);
  const ctx = { db: t.db, identity: t.identity, loaded, now: NOON };
  return { loaded, ctx };
};

describe('fact loader', () => {
  it('reads one customer: stage, CLV, score, touches of the last 7 days, consent', async () => {
    const { loaded } = await setup();
    const loader = createFactLoader({
      ...{ db: t.db, identity: t.identity },
      policy: loaded.compiled,
      models: loaded.models,
      now: NOON,
    });
    const loyal = loader.one(C.loyal);
    expect(loyal).toMatchObject({
      status: 'known',
      marketingConsent: true,
      stage: 'mature',
      clvValue: 700,
      touches7d: { email: 3 }, // the 2025-06-01 touch is older than 7 days
    });
    expect(loyal.scores['churn']).toBeCloseTo(1 / (1 + Math.exp(2)), 12);
    expect(loader.one(C.fresh)).toMatchObject({ stage: 'intro', clvValue: 40, touches7d: {} });
    expect(loader.one(C.lapsed).stage).toBe('decline');
  });

  it('revoked, never-consented, erased and unknown customers', async () => {
    const { loaded } = await setup();
    const loader = createFactLoader({
      db: t.db,
      identity: t.identity,
      policy: loaded.compiled,
      models: loaded.models,
      now: NOON,
    });
    expect(loader.one(C.revoked)).toMatchObject({
      status: 'known',
      marketingConsent: false,
      stage: null,
    });
    expect(loader.one(C.silent).marketingConsent).toBe(false);
    expect(loader.one(C.erased).status).toBe('erased');
    expect(loader.one('C-NOBODY').status).toBe('unknown');
    // The batch stream holds the same facts, and the erased customer is not in it at all.
    const all = [...loader.all()];
    expect(all.map((f) => f.customerId).sort()).toEqual(
      [C.fresh, C.loyal, C.silent, C.revoked, C.lapsed].sort()
    );
    expect(all.find((f) => f.customerId === C.loyal)).toEqual(loader.one(C.loyal));
  });

  it('a row after the decision moment does not count', async () => {
    const { loaded } = await setup();
    const early = new Date('2025-06-06T00:00:00Z');
    const loader = createFactLoader({
      db: t.db,
      identity: t.identity,
      policy: loaded.compiled,
      models: loaded.models,
      now: early,
    });
    expect(loader.one(C.loyal)).toMatchObject({ clvValue: 700, touches7d: { email: 2 } });
    const before = createFactLoader({
      db: t.db,
      identity: t.identity,
      policy: loaded.compiled,
      models: loaded.models,
      now: new Date('2025-06-05T09:30:00Z'),
    });
    expect(before.one(C.loyal)).toMatchObject({ clvValue: 0, touches7d: { email: 2 } });
  });
});

describe('decisions over the store', () => {
  it('decides each seeded customer as its facts say, and logs the rule mix without ids', async () => {
    const { ctx } = await setup();
    const { decisions, mix } = decideCustomers(ctx, Object.values(C), 'api');
    const by = Object.fromEntries(decisions.map((d) => [d.customerId, d]));
    expect(by[C.fresh]).toMatchObject({ action: { id: 'welcome' }, channel: 'email' });
    expect(by[C.loyal]).toMatchObject({ action: { id: 'premium' }, channel: 'app' });
    expect(by[C.loyal]?.rules).toContainEqual({ rule: 'backup_channel', detail: 'email -> app' });
    expect(by[C.lapsed]).toMatchObject({ action: { id: 'save' }, channel: 'email' });
    expect(by[C.silent]?.reason).toBe('no_marketing_consent');
    expect(by[C.revoked]?.reason).toBe('no_marketing_consent');
    expect(by[C.erased]?.reason).toBe('erased');
    expect(mix).toMatchObject({ decisions: 6, withAction: 3 });
    const runs = listDecisionRuns(t.db);
    expect(runs[0]?.mix.reasons).toEqual({ no_marketing_consent: 2, erased: 1 });
    expect(JSON.stringify(runs)).not.toContain('C-');
  });

  it('a batch writes the whole file, or on failure leaves the earlier file untouched', async () => {
    const { ctx } = await setup();
    const out = join(t.root, 'decisions.csv');
    const progress: number[] = [];
    const mix = await decideBatch(ctx, { out, onProgress: (d) => progress.push(d) });
    expect(mix.decisions).toBe(5);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'customer_id,action,campaign,offer,strategy,channel,send_at,send_at_local,reason,rules'
    );
    expect(lines).toHaveLength(6);
    expect(lines.find((l) => l.startsWith(C.fresh))).toContain(
      'C-FRESH,welcome,best-sellers,,best_sellers,email,2025-06-11T10:00:00.000Z,2025-06-11 12:00,,"consent: marketing consent in force;'
    );
    expect(progress.at(-1)).toBe(5);

    writeFileSync(out, 'earlier\n');
    const failing = { ...ctx, now: new Date(Number.NaN) };
    await expect(decideBatch(failing, { out })).rejects.toThrow('"now" expected a valid Date');
    const ids = join(t.root, 'ids.jsonl');
    await decideBatch(ctx, { out: ids, customerIds: [C.fresh, C.erased] });
    expect(
      readFileSync(ids, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).reason)
    ).toEqual([null, 'erased']);
    function* breaks(): Generator<string> {
      yield 'a\n';
      throw new Error('disk full');
    }
    await expect(writeLinesAtomically(out, breaks())).rejects.toThrow('disk full');
    expect(readFileSync(out, 'utf8')).toBe('earlier\n');
    expect(readdirSync(t.root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(out)).toBe(true);
  });
});
