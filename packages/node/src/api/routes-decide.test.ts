import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempNode, type TempNode } from '../_testing/temp-node.ts';
import { CUSTOMERS as C, NOON, seedDecisionNode } from '../decide/_node-testing.ts';
import { createNodeApp } from './app.ts';
import { DECISION_POLICY_FILE } from './routes-decide.ts';
import { generateApiTokens, type ApiToken } from './tokens.ts';

let t: TempNode;
useTempNode('decide-api-', 'n', (x) => {
  t = x;
});

async function appWithPolicy(install = true) {
  const { policyFile } = await seedDecisionNode(t);
  if (install) {
    // The policy names its model relative to itself: install both into the node directory.
    copyFileSync(policyFile, join(t.dir, DECISION_POLICY_FILE));
    copyFileSync(join(t.root, 'churn-model.json'), join(t.dir, 'churn-model.json'));
  }
  const tokens = generateApiTokens();
  const app = createNodeApp({ dir: t.dir, db: t.db, identity: t.identity, tokens, log: () => {} });
  const token = (role: 'admin' | 'auditor') =>
    (tokens.find((x) => x.role === role) as ApiToken).token;
  const post = (body: unknown, role: 'admin' | 'auditor' = 'admin') =>
    app.request('/v1/decide', {
      method: 'POST',
      headers: { authorization: `Bearer ${token(role)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { post };
}

describe('POST /v1/decide', () => {
  it('decides one customer with the installed policy and names the rules that fired', async () => {
    const { post } = await appWithPolicy();
    const res = await post({ customerId: C.loyal, at: NOON.toISOString() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      policy: { name: string; hash: string };
      at: string;
      decisions: { action: { id: string }; channel: string; rules: { rule: string }[] }[];
    };
    expect(body.policy.name).toBe('test policy');
    expect(body.at).toBe(NOON.toISOString());
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({ action: { id: 'premium' }, channel: 'app' });
    expect(body.decisions[0]?.rules.map((r) => r.rule)).toEqual([
      'consent',
      'lifecycle',
      'clv_tier',
      'action',
      'fatigue',
      'backup_channel',
      'channel',
    ]);
  });

  it('decides a short list in request order; erased and revoked customers get no action', async () => {
    const { post } = await appWithPolicy();
    const res = await post({ customerIds: [C.erased, C.revoked, C.fresh], at: NOON.toISOString() });
    expect(res.status).toBe(200);
    const { decisions } = (await res.json()) as {
      decisions: { customerId: string; reason: string | null }[];
    };
    expect(decisions.map((d) => [d.customerId, d.reason])).toEqual([
      [C.erased, 'erased'],
      [C.revoked, 'no_marketing_consent'],
      [C.fresh, null],
    ]);
  });

  it('refuses an auditor (403), a bad body (400 naming the field), and answers 404 without a policy', async () => {
    const { post } = await appWithPolicy(false);
    expect((await post({ customerId: C.fresh }, 'auditor')).status).toBe(403);
    const bad = await post({ customerId: C.fresh, customerIds: [C.loyal] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      'body field "customerId": give exactly one of customerId and customerIds'
    );
    const tooMany = await post({ customerIds: Array.from({ length: 101 }, (_, i) => `c${i}`) });
    expect(tooMany.status).toBe(400);
    const none = await post({ customerId: C.fresh });
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('a broken installed policy is a 400 that names the file and field', async () => {
    const { post } = await appWithPolicy();
    const file = join(t.dir, DECISION_POLICY_FILE);
    const p = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...p, sendWithinHours: 0 }));
    const res = await post({ customerId: C.fresh });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      `${DECISION_POLICY_FILE}: field "sendWithinHours"`
    );
  });
});
