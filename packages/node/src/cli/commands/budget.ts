import type { Command } from 'commander';
import { type CliContext } from '../context.ts';
import { notAvailable } from '../exit-codes.ts';
import { examples } from './_help.ts';

export function registerBudget(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('budget')
    .description('privacy budget per purpose for the current period: cap, spent, remaining epsilon')
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print the budget status as JSON')
    .action(async () => {
      void ctx;
      throw notAvailable('budget status');
    });
  examples(cmd, 'fedmark node budget --dir ./node-a');
}
