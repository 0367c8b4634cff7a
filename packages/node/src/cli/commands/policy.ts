import type { Command } from 'commander';
import type { Policy } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { withNode } from '../node-context.ts';
import { readJsonFile } from './_query-file.ts';
import { examples } from './_help.ts';
import { existsSync } from 'node:fs';

function policyText(p: Policy): string {
  const line = (label: string, value: string | number) => `${label.padEnd(30)}${value}`;
  return [
    line('minimum cohort (k):', p.minCohort),
    line('allowed job kinds:', p.allowedKinds.join(', ')),
    line('allowed purposes:', p.allowedPurposes.join(', ')),
    line('max epsilon per job:', p.maxEpsilonPerJob),
    line('min nodes per federated job:', p.minNodes),
    line(
      'min eligible rows per job:',
      `train ${p.minRowsPerJob.train}, segment_stats ${p.minRowsPerJob.segment_stats} (0: no minimum)`
    ),
    line(
      'new key epoch members:',
      p.members === 'auto'
        ? 'auto (changed keys still need fedmark node members approve)'
        : 'approve (fedmark node members approve)'
    ),
    'budgets:',
    ...p.budgets.map(
      (b) => `  ${b.purpose.padEnd(15)} ${String(b.epsilon).padStart(6)} per ${b.period}`
    ),
    line(
      'test-only noise switch:',
      p.testOnlyAllowNoiseOff ? 'ALLOWED (test configuration)' : 'refused'
    ),
    '',
  ].join('\n');
}

export function registerPolicy(node: Command, ctx: CliContext): void {
  const policy = node
    .command('policy')
    .description("show or replace the node's policy (minimum cohort k, budgets, allowed purposes)");
  const show = policy
    .command('show')
    .description('print the policy in force')
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print the policy as JSON (the same shape policy set takes)')
    .action(async (o: { dir: string; json?: boolean }) => {
      const { loadPolicy } = await import('../../policy/index.ts');
      if (!existsSync(o.dir))
        throw new CliError(
          EXIT.NO_NODE,
          `no node in ${o.dir} (run "fedmark node init --dir ${o.dir} --name NAME" first)`
        );
      const p = loadPolicy(o.dir);
      emit(ctx, o.json, p, () => policyText(p));
    });
  examples(
    show,
    'fedmark node policy show --dir ./node-a',
    'fedmark node policy show --dir ./node-a --json > policy.json'
  );
  const set = policy
    .command('set')
    .description(
      'validate and install a policy file; the change is recorded in the ledger (old and new values)'
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption(
      '--file <path>',
      'policy JSON (fedmark node policy show --json prints the current one)'
    )
    .option('--reason <text>', 'why, recorded in the ledger entry')
    .option('--json', 'print {policy, hash, changed, entry} as JSON')
    .action(async (o: { dir: string; file: string; reason?: string; json?: boolean }) => {
      const { savePolicy } = await import('../../policy/index.ts');
      const next = readJsonFile(o.file);
      const r = await withNode(o.dir, ({ db }) =>
        savePolicy(o.dir, db, next, o.reason === undefined ? {} : { reason: o.reason })
      );
      emit(ctx, o.json, r, () =>
        r.changed.length === 0
          ? 'Policy unchanged (the file equals the policy in force); nothing recorded.\n'
          : [
              `Policy updated (hash ${r.hash.slice(0, 16)}…), ledger entry seq ${r.entry?.seq ?? '-'}:`,
              ...r.changed.map(
                (c) => `  ${c.field}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`
              ),
              '',
            ].join('\n')
      );
    });
  examples(
    set,
    'fedmark node policy show --dir ./node-a --json > policy.json   # edit minCohort, budgets...',
    'fedmark node policy set --dir ./node-a --file policy.json --reason "DPO review 2026-11"'
  );
}
