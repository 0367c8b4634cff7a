import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoundJobSpecSchema, auc, scoreRow, type TrainSpec } from '@fedmark/protocol';
import {
  SYNTHETIC_CAMPAIGNS,
  checkedTemplate,
} from '../packages/coordinator/src/jobs/templates.ts';
import {
  PROFILES,
  PROFILE_NAMES,
  generateSynthetic,
  type SynthReport,
} from '../packages/node/src/synth/index.ts';
import { simulateTraining, type TrainingRow } from '../packages/node/src/training/index.ts';

/**
 * The `ab-test` and `train` job templates (coordinator) must fit what `fedmark node synth` (node)
 * writes, so the README tour (synth, import, `job template`, `job create`) works on its output as
 * it is: the A/B template once named a campaign `spring-sale` that the data spells `spring_sale`,
 * and every row went to `__other__`.
 */
const root = mkdtempSync(join(tmpdir(), 'fedmark-synth-templates-'));
const reports: SynthReport[] = [];
const rowsOf = (path: string): string[][] =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));

beforeAll(async () => {
  for (const profile of PROFILE_NAMES) {
    reports.push(
      await generateSynthetic({
        dir: join(root, profile),
        profile,
        seed: 'templates',
        customers: 800,
      })
    );
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('job templates on fedmark node synth output', () => {
  it('ab-test declares exactly the campaigns and variants the synthetic touches carry, and no customer exceeds its row bound', () => {
    const spec = RoundJobSpecSchema.parse(checkedTemplate('ab-test', '2026-01-01'));
    if (!('query' in spec)) throw new Error('ab-test is not a train job');
    const declared = Object.fromEntries(
      spec.query.dimensions.map((d) => [d.field, 'categories' in d ? d.categories : []])
    );
    const campaigns = new Set<string>();
    const variants = new Set<string>();
    let mostCampaigns = 0;
    for (const r of reports) {
      const perCustomer = new Map<string, Set<string>>();
      for (const [id, , , campaign, variant] of rowsOf(r.files.touches).slice(1)) {
        campaigns.add(campaign as string);
        variants.add(variant as string);
        const seen = perCustomer.get(id as string) ?? new Set<string>();
        perCustomer.set(id as string, seen.add(campaign as string));
      }
      for (const s of perCustomer.values()) mostCampaigns = Math.max(mostCampaigns, s.size);
    }
    expect(declared['campaign']).toEqual([...SYNTHETIC_CAMPAIGNS]);
    expect([...campaigns].sort()).toEqual([...SYNTHETIC_CAMPAIGNS].sort());
    expect(PROFILE_NAMES.flatMap((p) => PROFILES[p].campaigns.map((c) => c.name))).toEqual([
      ...SYNTHETIC_CAMPAIGNS,
    ]);
    expect(declared['variant']).toEqual(['A', 'B']);
    expect([...variants].sort()).toEqual(['A', 'B']);
    // One assignment per customer and campaign: a customer in every campaign of a profile has 3 rows.
    expect([mostCampaigns, spec.query.maxRowsPerCustomer]).toEqual([3, 3]);
  });

  it('train finds every column in churn.csv, declares every channel, and fits a model with signal on it', () => {
    const spec = RoundJobSpecSchema.parse(checkedTemplate('train'));
    if (spec.kind !== 'train') throw new Error('the train template must be a train job');
    const train: TrainSpec = spec.train;
    const numeric = train.features.flatMap((f) => (f.type === 'numeric' ? [f] : []));
    const channels = new Set<string>();
    const nodes = reports.map((r) => {
      const [head, ...body] = rowsOf(r.files.churn);
      expect(head).toEqual([
        'customer_id',
        ...train.features.map((f) => f.column),
        train.label.column,
      ]);
      const rows: TrainingRow[] = body.map((cells) => {
        const values: Record<string, string | number> = {};
        for (const [i, h] of (head as string[]).entries())
          values[h] = numeric.some((f) => f.column === h) ? Number(cells[i]) : (cells[i] as string);
        channels.add(values['primary_channel'] as string);
        return { customerId: cells[0] as string, values };
      });
      return { id: r.profile, rows };
    });
    // Empty: a customer without events, who falls in `__other__` with undeclared values.
    expect([...channels].sort()).toEqual(['', 'app', 'branch', 'store', 'web']);
    expect(train.features.find((f) => f.column === 'primary_channel')).toMatchObject({
      categories: ['app', 'web', 'store', 'branch'],
    });
    // The clipping bounds cover nearly every customer: at least 98% of each numeric column.
    for (const f of numeric) {
      const all = nodes.flatMap((n) => n.rows.map((r) => r.values[f.column] as number));
      const inside = all.filter((x) => x >= f.lower && x <= f.upper).length / all.length;
      expect([f.column, inside >= 0.98]).toEqual([f.column, true]);
    }
    const model = simulateTraining(train, nodes, { noise: false });
    const rows = nodes.flatMap((n) => n.rows);
    const score = auc(
      rows.map((r) => scoreRow(model, r.values)),
      rows.map((r) => (r.values['churn'] === 'Yes' ? 1 : 0))
    );
    // 0.860 with plain gradient descent, 0.868 with the diagonal optimiser (the default since it
    // replaced gd): the template's model has signal, and the default does no worse.
    expect(score).toBeGreaterThan(0.855);
    expect(score).toBeLessThan(0.95);
  });
});
