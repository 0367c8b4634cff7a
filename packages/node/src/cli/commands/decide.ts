import type { Command } from 'commander';
import { parseCsv } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { withNode } from '../node-context.ts';
import { createProgress } from '../progress.ts';
import type { Decision, RuleMix } from '../../decide/index.ts';
import { examples } from './_help.ts';
import { readTextFile } from './_query-file.ts';

interface DecideOpts {
  dir: string;
  policy: string;
  customer?: string;
  batch?: string;
  all?: boolean;
  out?: string;
  at?: string;
  json?: boolean;
}

/** Customer ids of a batch file: one per line, or a CSV with a `customer_id` column. */
export function readIdsFile(file: string): string[] {
  const rows = parseCsv(readTextFile(file), file);
  const at = rows[0]?.cells.indexOf('customer_id') ?? -1;
  const data = at >= 0 ? rows.slice(1) : rows;
  const col = Math.max(at, 0);
  return data.map((r) => (r.cells[col] ?? '').trim()).filter((id) => id !== '');
}

function parseAt(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const d = new Date(at);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(d.getTime()))
    throw new CliError(EXIT.USAGE, `--at: expected an ISO 8601 time such as 2025-06-11T10:00:00Z`);
  return d;
}

export function decisionText(d: Decision): string {
  const head = d.action
    ? `${d.customerId}: ${d.action.id} (campaign ${d.action.campaign}${d.action.offer ? `, offer ${d.action.offer}` : ''}) on ${d.channel} at ${d.sendAtLocal} local (${d.sendAt})`
    : `${d.customerId}: no action (${d.reason})`;
  return `${head}\n${d.rules.map((r) => `  ${r.rule.padEnd(15)} ${r.detail}`).join('\n')}\n`;
}

export function mixText(mix: RuleMix, out: string): string {
  const line = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '-';
  return [
    `decided ${mix.decisions} customers into ${out}: ${mix.withAction} with an action`,
    `  actions:  ${line(mix.actions)}`,
    `  channels: ${line(mix.channels)}`,
    `  no action: ${line(mix.reasons)}`,
    `  rules fired: ${line(mix.rules)}`,
    '',
  ].join('\n');
}

/** `fedmark node decide`: next-best-action from the node's own data and published results. */
export function registerDecide(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('decide')
    .description(
      'next-best-action per customer by a decision policy (docs/decide.md): action, channel, send time and the rules that fired; nothing leaves the node'
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--policy <file>', 'decision policy file (docs/decide.md "Policy file")')
    .option('--customer <id>', 'decide for one customer and print the decision')
    .option(
      '--batch <file>',
      'decide for the customer ids in a file (one per line, or a CSV with customer_id)'
    )
    .option('--all', 'decide for every customer of the node')
    .option(
      '--out <file>',
      'write decisions here: .csv for CSV, anything else JSON Lines (required with --batch/--all)'
    )
    .option('--at <time>', 'decide as of this moment (ISO 8601, default now)')
    .option('--json', 'print JSON (the decision, or the batch rule mix)')
    .action(async (o: DecideOpts) => {
      const modes = [o.customer !== undefined, o.batch !== undefined, o.all === true].filter(
        Boolean
      );
      if (modes.length !== 1)
        throw new CliError(EXIT.USAGE, 'give exactly one of --customer, --batch and --all');
      if (o.customer === undefined && o.out === undefined)
        throw new CliError(EXIT.USAGE, '--batch and --all need --out FILE');
      const now = parseAt(o.at);
      const { loadDecisionPolicy, decideBatch, decideCustomers, writeLinesAtomically } =
        await import('../../decide/index.ts');
      const loaded = loadDecisionPolicy(o.policy);
      const ids = o.batch === undefined ? undefined : readIdsFile(o.batch);
      await withNode(o.dir, async ({ db, identity }) => {
        const c = { db, identity, loaded, now };
        if (o.customer !== undefined) {
          const d = decideCustomers(c, [o.customer], 'cli').decisions[0] as Decision;
          if (o.out !== undefined) await writeLinesAtomically(o.out, [`${JSON.stringify(d)}\n`]);
          emit(ctx, o.json, d, () => decisionText(d));
          return;
        }
        const progress = createProgress(ctx.io, 'decide', { unit: 'customers' });
        let mix: RuleMix;
        try {
          mix = await decideBatch(c, {
            out: o.out as string,
            ...(ids ? { customerIds: ids } : {}),
            onProgress: (done, total) => progress.update(done, total),
          });
        } finally {
          progress.stop();
        }
        emit(ctx, o.json, { out: o.out, policy: loaded.compiled.policy.name, ...mix }, () =>
          mixText(mix, o.out as string)
        );
      });
    });
  examples(
    cmd,
    'fedmark node decide --dir ./node-a --policy docs/examples/decision-policy.json --customer C42',
    'fedmark node decide --dir ./node-a --policy nba.json --all --out decisions.csv',
    'fedmark node decide --dir ./node-a --policy nba.json --batch ids.txt --out decisions.jsonl --at 2026-01-05T09:00:00Z --json'
  );
}
