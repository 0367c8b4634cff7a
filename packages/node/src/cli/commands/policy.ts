import type { Command } from 'commander';
import { type CliContext } from '../context.ts';
import { notAvailable } from '../exit-codes.ts';
import { examples } from './_help.ts';

export function registerPolicy(node: Command, ctx: CliContext): void {
  const policy = node.command('policy').description("show or replace the node's policy (minimum cohort k, budgets, allowed purposes)");
  const show = policy
    .command('show')
    .description('print the policy in force')
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print the policy as JSON')
    .action(async () => {
      void ctx;
      throw notAvailable('policy show');
    });
  examples(show, 'fedmark node policy show --dir ./node-a --json');
  const set = policy
    .command('set')
    .description('validate and install a policy file; the change is recorded in the ledger')
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--file <path>', 'policy JSON (see fedmark node policy show --json for the shape)')
    .option('--json', 'print the installed policy as JSON')
    .action(async () => {
      throw notAvailable('policy set');
    });
  examples(set, 'fedmark node policy show --dir ./node-a --json > policy.json', 'fedmark node policy set --dir ./node-a --file policy.json');
}
