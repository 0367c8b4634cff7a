/**
 * Real data: the CDNOW 1/10 sample's purchase log (test/data/CDNOW_sample.txt) imported into one node and scored with the pooled CDNOW
 * parameters of docs/examples/clv-model.json, against customerValue on the reference summaries
 * of protocol's _cdnow-testing.ts (same-day purchases once, calibration to 1997-09-30).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ClvModelSchema, customerValue } from '@fedmark/protocol';
import { cdnowCustomers } from '../../../protocol/src/clv/_cdnow-testing.ts';
import { runCli } from '../_testing/run-cli.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const MODEL_FILE = join(repoRoot, 'docs/examples/clv-model.json');

let root: string;
let dir: string;
let db: Database.Database;
let identity: NodeIdentity;
useTempNode('clv-cdnow-', 'n', (t) => ({ root, dir, db, identity } = t));

async function importCdnow(): Promise<void> {
  // CDNOW_sample.txt: master id, sample id, YYYYMMDD, quantity, amount.
  const rows = readFileSync(join(repoRoot, 'test/data/CDNOW_sample.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5)
    .map((f) => {
      const d = f[2] as string;
      return `${f[1]},${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z,purchase,${f[4]},web,cd`;
    });
  const file = join(root, 'cdnow-events.csv');
  writeFileSync(file, ['customer_id,time,type,amount,channel,category', ...rows, ''].join('\n'));
  await importCsv(db, identity, {
    kind: 'events',
    file,
    lawfulBasis: [{ purpose: 'analytics', basis: 'contract' }],
  });
}

describe('clv-score on CDNOW', () => {
  it('gives every customer customerValue of the reference summary', async () => {
    await importCdnow();
    const r = await runCli('node', 'clv-score', '--dir', dir, '--model', MODEL_FILE, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ scored: 2357, lastDay: '1997-09-30', model: 'CDNOW pooled' });
    const model = ClvModelSchema.parse(JSON.parse(readFileSync(MODEL_FILE, 'utf8')));
    const stored = new Map(
      (
        db
          .prepare(
            'SELECT c.customer_id AS id, f.c_expected_purchases AS e, f.c_p_alive AS p, f.c_expected_spend AS s, f.c_clv AS v FROM ft_clv f JOIN customers c ON c.id = f.customer'
          )
          .all() as { id: string; e: number; p: number; s: number; v: number }[]
      ).map((x) => [Number(x.id), x])
    );
    const ref = cdnowCustomers();
    expect(stored.size).toBe(ref.length);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    let worst = 0;
    for (const c of ref) {
      const want = customerValue(model.bgnbd, model.gammaGamma, c);
      const got = stored.get(c.id);
      if (!got) throw new Error(`customer ${c.id} not scored`);
      const ok =
        close(got.e, want.expectedPurchases) &&
        close(got.p, want.pAlive) &&
        close(got.s, want.expectedSpend) &&
        close(got.v, want.clv);
      if (!ok) worst++;
    }
    expect(worst).toBe(0);
    // The text form, as docs/clv.md "Per-customer" shows it.
    const text = await runCli('node', 'clv-score', '--dir', dir, '--model', MODEL_FILE);
    expect(text.out).toMatch(
      /^scored 2357 customers into feature table clv \(model "CDNOW pooled", purchases to 1997-09-30, 12 months at 0.01 a month\)\n {2}clv /
    );
  }, 60_000);
});
