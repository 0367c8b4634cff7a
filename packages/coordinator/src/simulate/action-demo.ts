import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCsv, type JobResult, type SegmentResult } from '@fedmark/protocol';
import { runFedmark } from './processes.ts';

/**
 * The demo's last step, from segments to action (docs/decide.md "In the demo"): at the retailer
 * alone, `fedmark node decide` picks a next-best-action for every customer by a policy that uses
 * the joint churn model and the published channel x hour response rates, shows one customer's
 * decision with the rules that fired, and `fedmark node audience` builds a retention audience,
 * recorded in that node's ledger. Both run as the node's own CLI, as an institution would run
 * them: the coordinator's code never reads node data.
 */

/** Where the default run writes the step's files (beside the model file). */
export const DEMO_DECISIONS_FILE = 'fedmark-demo-decisions.csv';
export const DEMO_AUDIENCE_FILE = 'fedmark-demo-audience.csv';

/** The published result that can feed a policy's `responseRates`: channel x hour_of_week with `responded`. */
export function responseRatesOf(results: readonly JobResult[]): JobResult | undefined {
  return [...results].reverse().find((r) => {
    const seg = r.rounds[r.rounds.length - 1]?.interpretation as SegmentResult | undefined;
    return (
      r.status === 'published' &&
      r.kind === 'segment_stats' &&
      seg !== undefined &&
      seg.dimensions?.includes('channel') === true &&
      seg.dimensions.includes('hour_of_week') &&
      seg.measures.includes('responded')
    );
  });
}

/**
 * The retailer's policy (docs/decide.md "Policy file"): the default lifecycle strategies, the
 * joint churn model for win-back (when the demo's model file exists), e-mail falling back to the
 * app and the app to SMS after 3 touches in 7 days, quiet nights, and the published response
 * rates choosing the channel and hour (when the run published them).
 */
export function demoDecisionPolicy(o: { modelFile?: string; ratesFile?: string }): object {
  const churn = o.modelFile ? [{ model: 'churn', min: 0.3 }] : [];
  return {
    version: 1,
    kind: 'decision_policy',
    name: 'demo retailer',
    timeZone: 'Europe/Berlin',
    clv: {
      tiers: [
        { name: 'low', min: 0 },
        { name: 'high', min: 500 },
      ],
    },
    ...(o.modelFile ? { models: { churn: { file: o.modelFile, table: 'churn' } } } : {}),
    channels: [
      { name: 'email', backup: 'app', maxTouchesPer7Days: 3 },
      { name: 'app', backup: 'sms', maxTouchesPer7Days: 3 },
      { name: 'sms', backup: null, maxTouchesPer7Days: 1 },
    ],
    doNotDisturb: [{ from: '21:00', to: '08:00' }],
    ...(o.ratesFile ? { responseRates: { file: o.ratesFile } } : {}),
    actions: [
      {
        id: 'welcome-best-sellers',
        campaign: 'best-sellers',
        strategy: 'best_sellers',
        channels: ['email', 'app'],
      },
      {
        id: 'cross-sell-bundle',
        campaign: 'complete-the-look',
        strategy: 'cross_sell',
        channels: ['email', 'app'],
      },
      {
        id: 'premium-range',
        campaign: 'premium-collection',
        strategy: 'high_margin',
        clvTiers: ['high'],
        priority: 10,
        channels: ['app', 'email'],
      },
      {
        id: 'new-arrivals',
        campaign: 'new-arrivals',
        strategy: 'high_margin',
        channels: ['email'],
      },
      {
        id: 'win-back-voucher',
        campaign: 'we-miss-you',
        offer: 'voucher 10 EUR',
        strategy: 'win_back',
        scores: churn,
        priority: 10,
        channels: ['email', 'sms'],
      },
      { id: 'win-back', campaign: 'we-miss-you', strategy: 'win_back', channels: ['email'] },
    ],
  };
}

/** Valuable customers drifting away: mature or declining, spent 100 or more, marketing consent. */
export const DEMO_AUDIENCE_RULE = {
  version: 1,
  kind: 'audience',
  name: 'valuable customers drifting away',
  where: [
    { field: 'lifecycle_stage', in: ['mature', 'decline'] },
    { field: 'monetary', min: 100 },
  ],
} as const;

const Counts = z.record(z.string(), z.number());
const MixSchema = z.object({
  decisions: z.number(),
  withAction: z.number(),
  rules: Counts,
  reasons: Counts,
  actions: Counts,
  channels: Counts,
});
const DecisionSchema = z.object({
  customerId: z.string(),
  action: z.object({ id: z.string(), campaign: z.string() }).nullable(),
  channel: z.string().nullable(),
  sendAtLocal: z.string().nullable(),
  reason: z.string().nullable(),
  rules: z.array(z.object({ rule: z.string(), detail: z.string() })),
});
const AudienceSchema = z.object({ name: z.string(), count: z.number(), seq: z.number() });

export interface ActionDemo {
  node: string;
  at: string;
  policyFile: string;
  usesModel: boolean;
  usesResponseRates: boolean;
  decisions: { out: string } & z.infer<typeof MixSchema>;
  example: z.infer<typeof DecisionSchema> | null;
  audience: { out: string } & z.infer<typeof AudienceSchema>;
}

/** A CLI's `--json` output, checked: a changed node CLI fails here with the field, not later. */
function parsed<T>(schema: z.ZodType<T>, stdout: string, what: string): T {
  const r = schema.safeParse(JSON.parse(stdout));
  if (!r.success) throw new Error(`${what}: unexpected output: ${r.error.issues[0]?.message}`);
  return r.data;
}

/** Runs the step at one node: decisions for all its customers, one shown in full, an audience. */
export async function runActionDemo(o: {
  node: { name: string; dir: string };
  workdir: string;
  outDir: string;
  asOf: string;
  modelFile?: string;
  rates?: JobResult;
}): Promise<ActionDemo> {
  let ratesFile: string | undefined;
  if (o.rates) {
    ratesFile = join(o.workdir, 'demo-response-rates.json');
    writeFileSync(ratesFile, `${JSON.stringify(o.rates, null, 1)}\n`);
  }
  const policyFile = join(o.workdir, 'demo-decision-policy.json');
  const policy = demoDecisionPolicy({
    ...(o.modelFile ? { modelFile: o.modelFile } : {}),
    ...(ratesFile ? { ratesFile } : {}),
  });
  writeFileSync(policyFile, `${JSON.stringify(policy, null, 2)}\n`);
  // Mid-morning on the reference date: the do-not-disturb night is over in Berlin.
  const at = `${o.asOf}T10:00:00Z`;
  const decide = ['node', 'decide', '--dir', o.node.dir, '--policy', policyFile, '--at', at];
  const out = join(o.outDir, DEMO_DECISIONS_FILE);
  const batch = await runFedmark([...decide, '--all', '--out', out, '--json']);
  const mix = parsed(MixSchema, batch.stdout, 'node decide --all');
  const rows = parseCsv(readFileSync(out, 'utf8'), out);
  const firstWithAction = rows.slice(1).find((r) => (r.cells[1] ?? '') !== '');
  const example = firstWithAction
    ? parsed(
        DecisionSchema,
        (await runFedmark([...decide, '--customer', firstWithAction.cells[0] as string, '--json']))
          .stdout,
        'node decide --customer'
      )
    : null;
  const ruleFile = join(o.workdir, 'demo-audience-rule.json');
  writeFileSync(ruleFile, `${JSON.stringify(DEMO_AUDIENCE_RULE, null, 2)}\n`);
  const audienceOut = join(o.outDir, DEMO_AUDIENCE_FILE);
  const aud = await runFedmark([
    ...['node', 'audience', '--dir', o.node.dir, '--rule', ruleFile],
    ...['--as-of', o.asOf, '--out', audienceOut, '--json'],
  ]);
  return {
    node: o.node.name,
    at,
    policyFile,
    usesModel: o.modelFile !== undefined,
    usesResponseRates: ratesFile !== undefined,
    decisions: { out, ...mix },
    example,
    audience: { out: audienceOut, ...parsed(AudienceSchema, aud.stdout, 'node audience') },
  };
}

const counts = (o: Record<string, number>): string =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '-';

/** What the demo prints for the step (stdout, after the jobs' tables). */
export function actionReport(a: ActionDemo): string {
  const d = a.decisions;
  const uses = [
    'lifecycle strategy',
    'CLV tier',
    ...(a.usesModel ? ['the joint churn model'] : []),
    'marketing consent',
    'channel fatigue and backup',
    ...(a.usesResponseRates ? ['the published response rates by channel and time of week'] : []),
  ];
  const lines = [
    `== Next-best-action at ${a.node} (fedmark node decide; nothing leaves the node) — as of ${a.at}`,
    `   policy: ${uses.join(', ')} (docs/decide.md)`,
    `   ${d.decisions} customers, ${d.withAction} with an action`,
    `   actions:   ${counts(d.actions)}`,
    `   channels:  ${counts(d.channels)}`,
    `   no action: ${counts(d.reasons)}`,
  ];
  if (a.example) {
    const e = a.example;
    lines.push(
      `   one customer: ${e.customerId}: ${e.action?.id} (campaign ${e.action?.campaign}) on ${e.channel} at ${e.sendAtLocal} local`,
      ...e.rules.map((r) => `     ${r.rule.padEnd(15)} ${r.detail}`)
    );
  }
  lines.push(
    `   decisions file: ${d.out}`,
    `== Audience "${a.audience.name}" at ${a.node} (fedmark node audience): ${a.audience.count} customers with marketing consent`,
    `   recorded in ${a.node}'s ledger (entry ${a.audience.seq}: count and commitment); file: ${a.audience.out}`
  );
  return lines.join('\n');
}
