/**
 * Internal test helper: a node with six customers whose decisions differ by one rule each, the
 * policy file they are decided with (written beside the node) and a churn model over the
 * feature table `churn` (column risk). The moment is NOON (Wednesday 2025-06-11 10:00 UTC).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initialModel, modelToJson, withVector } from '@fedmark/protocol';
import { grantConsent, revokeConsent } from '../consent/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { importCsv } from '../importing/index.ts';
import type { TempNode } from '../_testing/temp-node.ts';
import { TEST_POLICY } from './_policy-testing.ts';

export { NOON } from './_policy-testing.ts';

export const CUSTOMERS = {
  /** Signed up a month ago, one purchase: intro -> welcome on email. */
  fresh: 'C-FRESH',
  /** Two years a customer, big spender, 3 emails this week: mature high tier -> premium, but email is fatigued. */
  loyal: 'C-LOYAL',
  /** Never gave marketing consent. */
  silent: 'C-SILENT',
  /** Granted, then revoked marketing consent. */
  revoked: 'C-REVOKED',
  /** Erased: only a tombstone remains. */
  erased: 'C-ERASED',
  /** Last activity 200 days ago, churn risk high: decline -> save. */
  lapsed: 'C-LAPSED',
} as const;

export async function seedDecisionNode(t: TempNode): Promise<{ policyFile: string }> {
  const f = (name: string, text: string): string => {
    const p = join(t.root, name);
    writeFileSync(p, text);
    return p;
  };
  const c = CUSTOMERS;
  await importCsv(t.db, t.identity, {
    kind: 'customers',
    file: f(
      'customers.csv',
      `customer_id,signup_date,loyalty\n${c.fresh},2025-05-10,1\n${c.loyal},2023-01-05,3\n${c.silent},2024-01-01,1\n${c.revoked},2024-01-01,1\n${c.erased},2024-01-01,1\n${c.lapsed},2023-06-01,2\n`
    ),
  });
  await importCsv(t.db, t.identity, {
    kind: 'events',
    file: f(
      'events.csv',
      `customer_id,time,type,amount,channel,category\n${c.fresh},2025-06-01T10:00:00Z,purchase,40,web,shoes\n${c.loyal},2025-06-05T10:00:00Z,purchase,700,store,bags\n${c.lapsed},2024-11-20T10:00:00Z,purchase,80,web,toys\n${c.silent},2025-06-01T10:00:00Z,purchase,30,web,toys\n${c.revoked},2025-06-01T10:00:00Z,purchase,30,web,toys\n${c.erased},2025-06-01T10:00:00Z,purchase,30,web,toys\n`
    ),
  });
  await importCsv(t.db, t.identity, {
    kind: 'touches',
    file: f(
      'touches.csv',
      `customer_id,time,channel,campaign,variant,outcome\n${c.loyal},2025-06-05T09:00:00Z,email,spring,A,none\n${c.loyal},2025-06-07T09:00:00Z,email,spring,A,opened\n${c.loyal},2025-06-10T09:00:00Z,email,spring,A,none\n${c.loyal},2025-06-01T09:00:00Z,email,spring,A,none\n`
    ),
  });
  await importCsv(t.db, t.identity, {
    kind: 'table',
    table: 'churn',
    file: f(
      'churn.csv',
      `customer_id,risk\n${c.fresh},0\n${c.loyal},1\n${c.lapsed},9\n${c.silent},9\n`
    ),
  });
  const at = new Date('2025-01-01T00:00:00Z');
  for (const id of [c.fresh, c.loyal, c.revoked, c.erased, c.lapsed])
    grantConsent(t.db, t.identity, {
      customerId: id,
      purpose: 'marketing',
      source: 'test',
      time: at,
    });
  revokeConsent(t.db, t.identity, {
    customerId: c.revoked,
    purpose: 'marketing',
    source: 'test',
    time: new Date('2025-03-01T00:00:00Z'),
  });
  eraseCustomer(t.db, t.identity, c.erased);

  // churn = sigmoid(-3 + 1 * (risk - 0) / 1): risk 9 -> 0.9975, risk 0 -> 0.047.
  const base = initialModel({
    name: 'churn',
    label: { column: 'churned', positive: 'yes' },
    encoding: [{ type: 'numeric', column: 'risk', lower: 0, upper: 10, mean: 0, std: 1 }],
    optimiser: 'test',
    roundsPlanned: 0,
    epsilonPerNode: 0,
    noise: false,
    nodes: [],
  });
  f('churn-model.json', modelToJson(withVector(base, [-3, 1])));
  const policyFile = f(
    'nba-policy.json',
    JSON.stringify({ ...TEST_POLICY, models: { churn: { file: 'churn-model.json' } } })
  );
  return { policyFile };
}
