import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../_testing/run-cli.ts';
import { useTempNode, type TempNode } from '../_testing/temp-node.ts';
import { CUSTOMERS as C, seedDecisionNode } from '../decide/_node-testing.ts';
import { listLedger } from '../ledger/index.ts';
import { commitUnits } from '../release/_units-commit.ts';
import { releaseUnitsReader } from '../release/index.ts';

let t: TempNode;
useTempNode('audience-', 'n', (x) => {
  t = x;
});

const ruleFile = (rule: unknown): string => {
  const f = join(t.root, 'rule.json');
  writeFileSync(f, JSON.stringify(rule));
  return f;
};
const csvIds = (f: string) => readFileSync(f, 'utf8').trim().split('\n').slice(1).sort();

/** `fedmark node audience --dir <the node> --rule <rule> --out <out> ...args`. */
function audience(rule: string, out: string, ...args: string[]) {
  return cli('node', 'audience', '--dir', t.dir, '--rule', rule, '--out', out, ...args);
}

describe('fedmark node audience', () => {
  it('everyone with marketing consent: erased, revoked and never-consented customers never appear', async () => {
    await seedDecisionNode(t);
    const out = join(t.root, 'all.csv');
    const rule = ruleFile({
      version: 1,
      kind: 'audience',
      name: 'everyone',
      where: [{ field: 'frequency', min: 0 }],
    });
    const r = await audience(rule, out, '--as-of', '2025-06-11', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const ids = csvIds(out);
    expect(ids).toEqual([C.fresh, C.lapsed, C.loyal].sort());
    expect(ids).not.toContain(C.erased);
    expect(ids).not.toContain(C.revoked);
    expect(ids).not.toContain(C.silent);
    // The ledger entry: count and the RFC 6962 root over the keyed pseudonyms, as releases do.
    const printed = JSON.parse(r.out) as { seq: number; count: number; unitsRoot: string };
    const entry = listLedger(t.db, { type: 'audience' }).at(-1);
    expect(entry?.seq).toBe(printed.seq);
    expect(entry?.body).toMatchObject({
      name: 'everyone',
      count: 3,
      unitsRoot: commitUnits(t.identity.pepper, ids).root,
      purpose: 'marketing',
      file: 'all.csv',
    });
    expect(entry?.body['ruleHash']).toMatch(/^[0-9a-f]{64}$/);
    expect(releaseUnitsReader(t.db, printed.seq).size).toBe(3);
    expect(JSON.stringify(entry)).not.toContain('C-');
  });

  it('segment fields and a score threshold narrow it', async () => {
    await seedDecisionNode(t);
    const seg = join(t.root, 'seg.csv');
    const lapsed = ruleFile({
      version: 1,
      kind: 'audience',
      name: 'lapsed or mature',
      where: [
        { field: 'lifecycle_stage', in: ['decline', 'mature'] },
        { field: 'attr.loyalty', min: 2 },
      ],
    });
    expect((await audience(lapsed, seg, '--as-of', '2025-06-11')).code).toBe(0);
    expect(csvIds(seg)).toEqual([C.lapsed, C.loyal].sort());
    const risky = join(t.root, 'risk.csv');
    const score = ruleFile({
      version: 1,
      kind: 'audience',
      name: 'churn risk',
      score: { model: { file: 'churn-model.json' }, min: 0.5 },
    });
    const r = await audience(score, risky, '--as-of', '2025-06-11');
    expect(r.code).toBe(0);
    expect(r.out).toContain('audience "churn risk": 1 customers');
    // C-SILENT has risk 9 too, but no marketing consent.
    expect(csvIds(risky)).toEqual([C.lapsed]);
  });

  it('a feature table column (table.<table>.<column>, e.g. table.clv.clv) narrows it; an unknown column is refused', async () => {
    await seedDecisionNode(t);
    // churn.risk: fresh 0, loyal 1, lapsed 9, silent 9 (no marketing consent); C-ERASED has none.
    const high = join(t.root, 'high.csv');
    const rule = ruleFile({
      version: 1,
      kind: 'audience',
      name: 'high risk',
      where: [{ field: 'table.churn.risk', min: 1 }],
    });
    const r = await audience(rule, high, '--as-of', '2025-06-11');
    expect(r.err).toBe('');
    expect(csvIds(high)).toEqual([C.lapsed, C.loyal].sort());
    const none = join(t.root, 'none.csv');
    const bad = ruleFile({
      version: 1,
      kind: 'audience',
      name: 'x',
      where: [{ field: 'table.churn.shoe_size', min: 1 }],
    });
    const refused = await audience(bad, none);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('feature table "churn" has no column "shoe_size"');
    expect(existsSync(none)).toBe(false);
    expect(listLedger(t.db, { type: 'audience' })).toHaveLength(1);
  });

  it('a bad rule is refused naming the field, and nothing is written or recorded', async () => {
    await seedDecisionNode(t);
    const out = join(t.root, 'never.csv');
    const rule = ruleFile({
      version: 1,
      kind: 'audience',
      name: 'x',
      where: [{ field: 'shoe_size', min: 1 }],
    });
    const r = await audience(rule, out);
    expect(r.code).toBe(14);
    expect(r.err).toContain('field "where[0].field": expected one of recency_days');
    expect(existsSync(out)).toBe(false);
    expect(listLedger(t.db, { type: 'audience' })).toEqual([]);
  });
});
