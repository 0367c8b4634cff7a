import type { Command } from 'commander';
import { type CliContext } from '../context.ts';
import { epsilonOption } from '../options.ts';
import { notAvailable } from '../exit-codes.ts';
import { examples } from './_help.ts';

export interface StatsOpts {
  dir: string;
  query: string;
  epsilon?: number;
  noiseTestOnly: boolean;
  json?: boolean;
}

export function registerStats(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('stats')
    .description('run a segment-statistics query locally: noisy per-cell counts and sums with 95% intervals; charges the budget')
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--query <file>', 'SegmentQuery JSON (docs/node-cli.md has examples)')
    .option('--epsilon <e>', "override the query's epsilon", epsilonOption)
    .option('--no-noise-test-only', 'TEST ONLY: release exact values; refused unless the policy sets testOnlyAllowNoiseOff')
    .option('--json', 'print the result as JSON (bigints as decimal strings)')
    .action(async (o: StatsOpts) => {
      void ctx;
      void o;
      throw notAvailable('local statistics');
    });
  examples(cmd, 'fedmark node stats --dir ./node-a --query rfm.json', 'fedmark node stats --dir ./node-a --query lifecycle.json --epsilon 0.5 --json');
}
