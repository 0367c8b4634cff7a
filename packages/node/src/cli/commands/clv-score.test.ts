import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../../_testing/run-cli.ts';
import { useTempNode, type TempNode } from '../../_testing/temp-node.ts';
import { CLV_TEST_MODEL, importClvEvents } from '../../clv/_clv-events-testing.ts';
import { CUSTOMERS, NOON, seedDecisionNode } from '../../decide/_node-testing.ts';
import { TEST_POLICY } from '../../decide/_policy-testing.ts';

let t: TempNode;
useTempNode('clv-score-cli-', 'n', (x) => {
  t = x;
});

const MODEL = CLV_TEST_MODEL;

function modelFile(name: string, value: unknown): string {
  const f = join(t.root, name);
  writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
  return f;
}

function score(model: string, ...args: string[]) {
  return cli('node', 'clv-score', '--dir', t.dir, '--model', model, ...args);
}

describe('fedmark node clv-score', () => {
  it('--help teaches purpose, options and examples', async () => {
    const r = await cli('node', 'clv-score', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: fedmark node clv-score');
    expect(r.out).toContain('--model <file>');
    expect(r.out).toContain('--as-of <date>');
    expect(r.out).toMatch(/\nExamples:\n {2}\$ fedmark node clv-score /);
  });

  it('scores every customer with a purchase and prints the quantiles', async () => {
    await importClvEvents(t.db, t.identity, t.root);
    const r = await score(modelFile('m.json', MODEL));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'scored 4 customers into feature table clv (model "CDNOW pooled", purchases to 2024-02-04, 12 months at 0.01 a month)'
    );
    expect(r.out).toMatch(/\n {2}clv {6}min \S+ {2}p10 /);
    expect(r.out).toMatch(/\n {2}p_alive {2}min \S+ /);
    const j = await score(
      modelFile('m.json', MODEL),
      '--as-of',
      '2024-03-02',
      '--months',
      '6',
      '--json'
    );
    expect(j.code).toBe(0);
    const out = JSON.parse(j.out);
    expect(out).toMatchObject({ model: 'CDNOW pooled', scored: 4, lastDay: '2024-03-01' });
    expect(out.horizon.periods).toBe(6);
    expect(out.quantiles.pAlive.max).toBeLessThanOrEqual(1);
    expect(t.db.prepare('SELECT count(*) FROM ft_clv').pluck().get()).toBe(4);
  });

  it('--out writes the same scores to a CSV instead of the table', async () => {
    await importClvEvents(t.db, t.identity, t.root);
    const m = modelFile('m.json', MODEL);
    expect((await score(m)).code).toBe(0);
    const table = t.db
      .prepare(
        `SELECT c.customer_id, f.* FROM ft_clv f JOIN customers c ON c.id = f.customer ORDER BY c.customer_id`
      )
      .all() as Record<string, unknown>[];
    const out = join(t.root, 'scores.csv');
    const r = await score(m, '--out', out);
    expect(r.err).toBe('');
    expect(r.out).toContain(`scored 4 customers into ${out}`);
    const [header, ...lines] = readFileSync(out, 'utf8').trim().split('\n');
    expect(header).toBe('customer_id,expected_purchases,p_alive,expected_spend,clv');
    const rows = lines
      .map((l) => l.split(','))
      .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
    expect(rows.map((x) => x[0])).toEqual(table.map((x) => x['customer_id']));
    rows.forEach((x, i) => {
      const want = table[i] as Record<string, unknown>;
      for (const [j, col] of ['expected_purchases', 'p_alive', 'expected_spend', 'clv'].entries()) {
        const v = want[Object.keys(want).find((k) => k.endsWith(col)) as string] as number | null;
        expect(x[j + 1] === '' ? null : Number(x[j + 1])).toBe(v);
      }
    });
    const bad = await score(m, '--out', join(t.root, 'scores.txt'));
    expect([bad.code, bad.err]).toEqual([
      2,
      expect.stringContaining('--out: expected a .csv file'),
    ]);
  });

  it('names the file and the field of a bad model file, and the file of unreadable JSON', async () => {
    const bad = modelFile('bad.json', { ...MODEL, bgnbd: { ...MODEL.bgnbd, alpha: -1 } });
    const r = await score(bad);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`${bad}: field "bgnbd.alpha"`);
    const broken = modelFile('broken.json', '{"format": ');
    const b = await score(broken);
    expect(b.code).not.toBe(0);
    expect(b.err).toContain(`${broken}: not valid JSON`);
    const missing = await score(join(t.root, 'nope.json'));
    expect(missing.err).toContain('nope.json: cannot read (ENOENT)');
    const opt = await score(modelFile('m.json', MODEL), '--discount', '2');
    expect(opt.code).toBe(2);
    expect(opt.err).toContain('--discount');
  });

  it('feeds decisions: a policy whose clv.field is table.clv.clv tiers by the stored CLV', async () => {
    await seedDecisionNode(t);
    const model = modelFile('m.json', { ...MODEL, calibrationEnd: '2025-06-10' });
    expect((await score(model)).code).toBe(0);
    const policy = modelFile(
      'clv-policy.json',
      JSON.stringify({
        ...TEST_POLICY,
        clv: { ...TEST_POLICY.clv, field: 'table.clv.clv' },
        models: { churn: { file: 'churn-model.json' } },
      })
    );
    const v = t.db
      .prepare(
        'SELECT f.c_clv FROM ft_clv f JOIN customers c ON c.id = f.customer WHERE c.customer_id = ?'
      )
      .pluck()
      .get(CUSTOMERS.loyal) as number;
    expect(v).toBeGreaterThan(0);
    const r = await cli(
      'node',
      'decide',
      '--dir',
      t.dir,
      '--policy',
      policy,
      '--customer',
      CUSTOMERS.loyal,
      '--at',
      NOON.toISOString(),
      '--json'
    );
    expect(r.err).toBe('');
    const d = JSON.parse(r.out) as { rules: { rule: string; detail: string }[] };
    const tier = d.rules.find((x) => x.rule === 'clv_tier');
    expect(tier?.detail).toMatch(/\(table\.clv\.clv \d/);
    expect(tier?.detail.startsWith(v >= 500 ? 'high' : v >= 100 ? 'mid' : 'low')).toBe(true);
  });
});
