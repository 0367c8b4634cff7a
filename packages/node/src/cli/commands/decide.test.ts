import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../../_testing/run-cli.ts';
import { useTempNode, type TempNode } from '../../_testing/temp-node.ts';
import { CUSTOMERS as C, NOON, seedDecisionNode } from '../../decide/_node-testing.ts';

let t: TempNode;
useTempNode('decide-cli-', 'n', (x) => {
  t = x;
});

// The CLI opens the node itself: the test's own connection is closed first.
async function seeded(): Promise<string> {
  const { policyFile } = await seedDecisionNode(t);
  return policyFile;
}

/** `fedmark node decide --dir <the node> --policy <policy> ...args`. */
function decide(policy: string, ...args: string[]) {
  return cli('node', 'decide', '--dir', t.dir, '--policy', policy, ...args);
}

describe('fedmark node decide', () => {
  it('--help teaches purpose, options and examples', async () => {
    const r = await cli('node', 'decide', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: fedmark node decide');
    expect(r.out).toContain('--policy <file>');
    expect(r.out).toMatch(/\nExamples:\n {2}\$ fedmark node decide /);
  });

  it('--customer prints the decision and the rules that fired', async () => {
    const policy = await seeded();
    const at = NOON.toISOString();
    const r = await decide(policy, '--customer', C.loyal, '--at', at);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'C-LOYAL: premium (campaign premium-range) on app at 2025-06-11 12:00 local (2025-06-11T10:00:00.000Z)'
    );
    expect(r.out).toContain('  fatigue         email: 3 touches in 7 days, limit 3');
    const j = await decide(policy, '--customer', C.revoked, '--at', at, '--json');
    expect(JSON.parse(j.out)).toMatchObject({
      customerId: C.revoked,
      action: null,
      reason: 'no_marketing_consent',
    });
  });

  it('--all writes every customer to --out and prints the rule mix; --batch reads an id file', async () => {
    const policy = await seeded();
    const out = join(t.root, 'all.csv');
    const r = await decide(policy, '--all', '--out', out, '--at', NOON.toISOString(), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      out,
      decisions: 5,
      withAction: 3,
      reasons: { no_marketing_consent: 2 },
    });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(6);
    const ids = join(t.root, 'ids.csv');
    writeFileSync(ids, `customer_id,segment\n${C.fresh},a\n${C.erased},b\n`);
    const b = await decide(
      policy,
      '--batch',
      ids,
      '--out',
      join(t.root, 'b.jsonl'),
      '--at',
      NOON.toISOString()
    );
    expect(b.code).toBe(0);
    expect(b.out).toContain('decided 2 customers');
    expect(b.out).toContain('no action: erased 1');
  });

  it('usage and policy errors: exit 2 for modes, 14 naming the field of a bad policy', async () => {
    const policy = await seeded();
    const both = await decide(policy, '--all', '--customer', 'x', '--out', 'o.csv');
    expect(both.code).toBe(2);
    expect(both.err).toContain('give exactly one of --customer, --batch and --all');
    const noOut = await decide(policy, '--all');
    expect(noOut.code).toBe(2);
    const bad = join(t.root, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ ...JSON.parse(readFileSync(policy, 'utf8')), timeZone: 'Nowhere/Land' })
    );
    const out = join(t.root, 'never.csv');
    const r = await decide(bad, '--all', '--out', out);
    expect(r.code).toBe(14);
    expect(r.err).toContain('field "timeZone": expected an IANA time zone');
    expect(existsSync(out)).toBe(false);
  });
});
