import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { createNodeApp } from '../api/app.ts';
import { generateApiTokens, type ApiToken } from '../api/tokens.ts';
import { recordDecisionRun } from '../decide/decision-log.ts';
import { emptyMix, type RuleMix } from '../decide/rule-mix.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import { session, tableRows, type TestSession } from './_test-session.ts';

/**
 * The node console's Decisions page ("a node page showing decisions' rule mix and an
 * audience's size"): the mix of the last 7 days apart from the older runs, audiences from the
 * ledger, and nothing personal on the page.
 */
let node: TempNode;
let auditor: TestSession;
const XSS = '<script>alert("x")</script>';
const DAY = 86_400_000;

function mix(over: Partial<RuleMix>): RuleMix {
  return { ...emptyMix(), ...over };
}

beforeAll(async () => {
  node = await createTempNode('node-actions-', 'actions-node');
  const { db } = node;
  const run = (daysAgo: number, m: RuleMix) =>
    recordDecisionRun(db, {
      at: new Date(Date.now() - daysAgo * DAY).toISOString(),
      source: 'cli',
      policyName: 'spring',
      policyHash: 'cd'.repeat(32),
      mix: m,
    });
  run(
    30,
    mix({
      decisions: 50,
      withAction: 50,
      rules: { lifecycle: 50 },
      actions: { winback: 50 },
      channels: { email: 50 },
    })
  );
  run(
    2,
    mix({
      decisions: 7,
      withAction: 5,
      rules: { lifecycle: 7, fatigue: 2 },
      actions: { premium: 5 },
      channels: { app: 5 },
      reasons: { no_marketing_consent: 2 },
    })
  );
  run(
    1,
    mix({
      decisions: 3,
      withAction: 3,
      rules: { lifecycle: 3 },
      actions: { premium: 3 },
      channels: { sms: 3 },
    })
  );
  for (const [name, count] of [
    ['lapsed', 120],
    ['lapsed', 80],
    [XSS, 4],
  ] as const)
    appendLedgerEntry(db, {
      type: 'audience',
      body: {
        name,
        count,
        unitsRoot: 'ef'.repeat(32),
        purpose: 'marketing',
        file: `${count}.csv`,
        ruleHash: '01'.repeat(32),
      },
    });
  const tokens = generateApiTokens();
  const app = createNodeApp({ dir: node.dir, db, identity: node.identity, tokens });
  auditor = await session(app, (tokens.find((t) => t.role === 'auditor') as ApiToken).token);
});

afterAll(() => removeTempNode(node));

describe('node console: decisions and audiences', () => {
  it('shows the last 7 days apart from all runs, each chart with its counts', async () => {
    const res = await auditor.get('/console/actions');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(
      /data-testid="mix-week-summary">10 decisions in the last 7 days: 8 with an action,\s*2 without/
    );
    expect(html).toMatch(
      /data-testid="mix-all-summary">60 decisions in all: 58 with an action,\s*2 without/
    );
    // The week's rule chart counts lifecycle 10 and fatigue 2, and has no winback (30 days ago).
    const weekRules = /data-testid="mix-week-rules"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(weekRules).toContain('lifecycle: 10');
    expect(weekRules).toContain('fatigue: 2');
    const weekActions = /data-testid="mix-week-actions"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(weekActions).not.toContain('winback');
    expect(html).toContain('data-testid="mix-week-reasons"');
    expect(tableRows(html, 'decision-runs').map((r) => r[3])).toEqual(['3', '7', '50']);
  });

  it('lists every audience build newest first, the latest size per name, escaped', async () => {
    const html = await (await auditor.get('/console/actions')).text();
    const rows = tableRows(html, 'audiences-table');
    expect(rows.map((r) => r.slice(2, 5))).toEqual([
      ['&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;', '4', '4.csv'],
      ['lapsed', '80', '80.csv'],
      ['lapsed', '120', '120.csv'],
    ]);
    const sizes = /data-testid="audience-sizes"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(sizes).toContain('lapsed: 80');
    expect(sizes).not.toContain('lapsed: 120');
    expect(html).not.toContain(XSS);
  });
});
