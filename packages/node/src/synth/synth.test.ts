import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auc } from '@fedmark/protocol';
import { generateSynthetic, type SynthReport } from './generate.ts';
import { Prng } from './prng.ts';
import { PROFILES } from './profiles.ts';

const root = mkdtempSync(join(tmpdir(), 'fedmark-synth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES = ['customers', 'events', 'touches', 'consents'] as const;
const ALL_FILES = [...FILES, 'churn'] as const;
const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const rowsOf = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

async function gen(
  name: string,
  seed: string,
  profile: 'retail' | 'bank' | 'telecom' = 'retail',
  customers = 400
): Promise<SynthReport> {
  return generateSynthetic({
    dir: join(root, name),
    profile,
    seed,
    customers,
    start: '2024-01-01',
    end: '2024-12-31',
  });
}

describe('Prng', () => {
  it('is deterministic per (seed, stream) and streams differ', () => {
    const a = new Prng(7, 3);
    const b = new Prng(7, 3);
    const c = new Prng(7, 4);
    const xs = [a.nextU32(), a.nextU32(), a.nextU32()];
    expect([b.nextU32(), b.nextU32(), b.nextU32()]).toEqual(xs);
    expect([c.nextU32(), c.nextU32(), c.nextU32()]).not.toEqual(xs);
  });

  it('draws have the right means (uniform 1/2, gamma k*theta, exponential 1/rate)', () => {
    const r = new Prng(42);
    const n = 40_000;
    let u = 0;
    let g = 0;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const x = r.uniform();
      expect(x > 0 && x < 1).toBe(true);
      u += x;
      g += r.gamma(0.6, 2);
      e += r.exponential(4);
    }
    expect(Math.abs(u / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(g / n - 1.2)).toBeLessThan(0.05);
    expect(Math.abs(e / n - 0.25)).toBeLessThan(0.01);
  });
});

describe('generateSynthetic', () => {
  it('same seed gives byte-identical files, another seed differs', async () => {
    const a = await gen('a', 's1');
    const b = await gen('b', 's1');
    const c = await gen('c', 's2');
    for (const f of ALL_FILES) {
      expect(hashOf(b.files[f])).toBe(hashOf(a.files[f]));
      expect(hashOf(c.files[f])).not.toBe(hashOf(a.files[f]));
    }
    expect(b.rows).toEqual(a.rows);
  });

  it('writes the documented headers and the reported row counts', async () => {
    const r = await gen('counts', 'x', 'bank', 300);
    expect(readFileSync(r.files.customers, 'utf8').split('\n')[0]).toBe(
      'customer_id,signup_date,email,age_band,segment,risk_tier,volatility_pct'
    );
    expect(readFileSync(r.files.events, 'utf8').split('\n')[0]).toBe(
      'customer_id,time,type,amount,channel,category'
    );
    expect(readFileSync(r.files.touches, 'utf8').split('\n')[0]).toBe(
      'customer_id,time,channel,campaign,variant,outcome'
    );
    expect(readFileSync(r.files.consents, 'utf8').split('\n')[0]).toBe(
      'customer_id,purpose,status,time,source'
    );
    expect(readFileSync(r.files.churn, 'utf8').split('\n')[0]).toBe(
      'customer_id,tenure_days,purchases,recency_days,avg_order_value,visits_90d,primary_channel,churn'
    );
    expect([r.rows.customers, r.rows.churn]).toEqual([300, 300]);
    for (const f of ALL_FILES) expect(rowsOf(r.files[f]).length).toBe(r.rows[f]);
    expect(rowsOf(r.files.events).filter((e) => e[2] === 'purchase').length).toBe(r.purchases);
  });

  it('keeps every value in range: ids, dates in the window, events after signup, amounts, outcomes', async () => {
    const r = await gen('ranges', 'r', 'retail', 600);
    const customers = rowsOf(r.files.customers);
    const signup = new Map(customers.map((c) => [c[0] as string, c[1] as string]));
    expect(signup.size).toBe(600);
    for (const c of customers) {
      expect(c[0]).toMatch(/^rt\d{7}$/);
      expect((c[1] as string) >= '2024-01-01' && (c[1] as string) <= '2024-12-31').toBe(true);
      expect(c[2]).toMatch(/^person\d+@people\.example$/);
      expect(['18-24', '25-34', '35-44', '45-54', '55-64', '65+']).toContain(c[3]);
      expect(['bronze', 'silver', 'gold', 'platinum']).toContain(c[5]);
    }
    const events = rowsOf(r.files.events);
    for (const [id, time, type, amount] of events) {
      expect(time).toMatch(/^2024-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect((time as string).slice(0, 10) >= (signup.get(id as string) as string)).toBe(true);
      if (type === 'purchase') expect(Number(amount)).toBeGreaterThanOrEqual(0.5);
      else expect([type, amount]).toEqual(['visit', '']);
    }
    const touches = rowsOf(r.files.touches);
    expect(touches.length).toBeGreaterThan(100);
    for (const t of touches) {
      expect(['email', 'sms', 'app', 'web']).toContain(t[2]);
      expect(['spring_sale', 'loyalty_push', 'holiday_promo']).toContain(t[3]);
      expect(['A', 'B']).toContain(t[4]);
      expect(['none', 'opened', 'clicked', 'converted']).toContain(t[5]);
    }
  });

  it('grants about 90% analytics consent and revokes a few percent later', async () => {
    const r = await gen('consent', 'c', 'telecom', 2000);
    const consents = rowsOf(r.files.consents);
    const granted = consents.filter(
      (c) => c[1] === 'analytics' && c[2] === 'granted' && c[4] === 'signup'
    ).length;
    const revoked = consents.filter((c) => c[1] === 'analytics' && c[2] === 'revoked').length;
    expect(granted / 2000).toBeGreaterThan(0.86);
    expect(granted / 2000).toBeLessThan(0.94);
    expect(revoked / granted).toBeGreaterThan(0.015);
    expect(revoked / granted).toBeLessThan(0.07);
  });

  it('profiles are not identically distributed (bank spends more per order than retail)', async () => {
    const mean = (rep: SynthReport) => {
      const amounts = rowsOf(rep.files.events)
        .filter((e) => e[2] === 'purchase')
        .map((e) => Number(e[3]));
      return amounts.reduce((s, x) => s + x, 0) / amounts.length;
    };
    const retail = await gen('p-retail', 'p', 'retail', 500);
    const bank = await gen('p-bank', 'p', 'bank', 500);
    expect(mean(bank)).toBeGreaterThan(5 * mean(retail));
    expect(PROFILES.retail.defaultCustomers).not.toBe(PROFILES.bank.defaultCustomers);
  });

  it("churn.csv: features recomputed from the customer's own rows, and a label they predict but do not fix", async () => {
    const r = await gen('churn', 'churn', 'bank', 2000);
    const end = Date.parse('2025-01-01T00:00:00Z');
    const day = (iso: string) => Math.floor(Date.parse(iso) / 86_400_000);
    const own = new Map<
      string,
      {
        purchases: number;
        spent: number;
        last: string | null;
        visits: number;
        channels: Map<string, number>;
      }
    >();
    for (const [id, time, type, amount, channel] of rowsOf(r.files.events)) {
      const o = own.get(id as string) ?? {
        purchases: 0,
        spent: 0,
        last: null,
        visits: 0,
        channels: new Map<string, number>(),
      };
      o.channels.set(channel as string, (o.channels.get(channel as string) ?? 0) + 1);
      if (type === 'purchase')
        [o.purchases, o.spent, o.last] = [
          o.purchases + 1,
          o.spent + Number(amount),
          time as string,
        ];
      else if (Date.parse(time as string) >= end - 90 * 86_400_000) o.visits++;
      own.set(id as string, o);
    }
    const signup = new Map(rowsOf(r.files.customers).map((c) => [c[0] as string, c[1] as string]));
    const rows = rowsOf(r.files.churn);
    expect(rows.map((x) => x[0])).toEqual([...signup.keys()]);
    for (const [id, tenure, purchases, recency, aov, visits, channel, churn] of rows) {
      const o = own.get(id as string) ?? {
        purchases: 0,
        spent: 0,
        last: null,
        visits: 0,
        channels: new Map<string, number>(),
      };
      const top = [...o.channels].reduce<[string, number]>(
        (best, c) => (c[1] > best[1] ? c : best),
        ['', 0]
      )[0];
      const since = (d: string) => day('2025-01-01') - day(d.slice(0, 10));
      expect([tenure, purchases, recency, aov, visits, channel].map(String)).toEqual(
        [
          since(signup.get(id as string) as string),
          o.purchases,
          since(o.last ?? (signup.get(id as string) as string)),
          o.purchases ? Math.round((o.spent / o.purchases) * 100) / 100 : 0,
          o.visits,
          top,
        ].map(String)
      );
      expect(['Yes', 'No']).toContain(churn);
    }
    // The label comes from latent traits (dropout, purchase rate) and a draw past the window:
    // recency predicts it well, but it is not a function of the features.
    const y = rows.map((x) => (x[7] === 'Yes' ? 1 : 0));
    const rate = (keep: (x: string[]) => boolean) =>
      rows.filter((x) => keep(x) && x[7] === 'Yes').length / rows.filter(keep).length;
    expect(y.reduce<number>((a, b) => a + b, 0)).toBe(759); // 38% of 2000 bank customers churn
    expect(rate((x) => Number(x[3]) > 180)).toBeGreaterThan(0.75);
    expect(rate((x) => Number(x[3]) <= 30)).toBeLessThan(0.25);
    expect(
      auc(
        rows.map((x) => Number(x[3])),
        y
      )
    ).toBeCloseTo(0.76, 2);
  });

  it('every generated file imports cleanly through importCsv, for each profile', async () => {
    const { initNode, loadIdentity } = await import('../identity/index.ts');
    const { openNodeDatabase } = await import('../store/index.ts');
    const { importCsv } = await import('../importing/index.ts');
    for (const profile of ['retail', 'bank', 'telecom'] as const) {
      const dir = join(root, `node-${profile}`);
      await initNode({ dir, name: `synth-${profile}` });
      const db = openNodeDatabase(dir);
      try {
        const rep = await gen(`imp-${profile}`, 'imp', profile, 150);
        for (const kind of FILES) {
          const r = await importCsv(db, loadIdentity(dir), { kind, file: rep.files[kind] });
          expect([kind, r.rowsRead, r.rowsInserted]).toEqual([
            kind,
            rep.rows[kind],
            rep.rows[kind],
          ]);
        }
        const t = await importCsv(db, loadIdentity(dir), {
          kind: 'table',
          table: 'churn',
          file: rep.files.churn,
        });
        expect([t.rowsRead, t.rowsInserted]).toEqual([150, 150]);
      } finally {
        db.close();
      }
    }
  });

  it('refuses bad arguments with labelled errors', async () => {
    await expect(
      generateSynthetic({ dir: root, profile: 'retail', seed: '1', customers: 0 })
    ).rejects.toThrow(/"customers" must be an integer/);
    await expect(
      generateSynthetic({ dir: root, profile: 'retail', seed: '1', start: '2024-02-30' })
    ).rejects.toThrow(/"start" expected a date/);
    await expect(
      generateSynthetic({ dir: root, profile: 'shop' as 'retail', seed: '1' })
    ).rejects.toThrow(/"profile" must be one of/);
  });
});
